"""``/v1/tokens``: access tokens, for admins only. A token's secret is in the answer to its creation, once.

::

    POST   /v1/tokens        {"role": "viewer", "session_id": "...", "label": "...", "expires_in_s": 604800}
    GET    /v1/tokens        newest first; revoked and expired ones included, never a secret
    GET    /v1/tokens/{id}
    DELETE /v1/tokens/{id}   revoke (the token stays listed, as revoked); idempotent; websockets open
                             with it are closed (4401, see service.open_sockets)
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from captions_store.records import TokenRecord
from captions_store.store import NotFound, Store
from service.auth import Principal, Requires
from service.protocol import OneLine

__all__ = ["router", "TokenCreate", "TokenPublic", "TokenCreated", "MAX_EXPIRES_IN_S"]

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])
Admin = Annotated[Principal, Depends(Requires())]
MAX_EXPIRES_IN_S = 10 * 366 * 86400


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "captioner", "staff", "viewer"]
    session_id: str | None = Field(
        None, min_length=1, max_length=128, description="Captioner: optional, limits the token to this session; "
                                                         "viewer: required")
    label: OneLine = Field("", max_length=200, description="Who or what holds it", examples=["booth-fr laptop"])
    expires_in_s: int | None = Field(None, ge=1, le=MAX_EXPIRES_IN_S, description="Lifetime; none: until revoked")


class TokenPublic(BaseModel):
    id: str
    role: str
    session_id: str | None
    label: str
    state: Literal["active", "expired", "revoked"]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, record: TokenRecord) -> "TokenPublic":
        return cls(id=record.id, role=record.role, session_id=record.session_id, label=record.label,
                   state=record.state(datetime.now(timezone.utc)), created_at=record.created_at,
                   expires_at=record.expires_at, revoked_at=record.revoked_at, last_used_at=record.last_used_at)


class TokenCreated(TokenPublic):
    token: str = Field(description="The bearer token: shown this once, stored only as a SHA-256 digest of its secret")


def _store(request: Request) -> Store:
    return request.app.state.store


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
async def create_token(spec: TokenCreate, request: Request, _: Admin) -> TokenCreated:
    expires_at = (datetime.now(timezone.utc) + timedelta(seconds=spec.expires_in_s)
                  if spec.expires_in_s is not None else None)
    try:
        issued = await asyncio.to_thread(_store(request).create_token, role=spec.role, session_id=spec.session_id,
                                         label=spec.label, expires_at=expires_at)
    except NotFound as exc:  # the session named in the body
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    return TokenCreated(**TokenPublic.of(issued.record).model_dump(), token=issued.token)


@router.get("", response_model=list[TokenPublic])
async def list_tokens(request: Request, _: Admin, limit: int = Query(100, ge=1, le=1000),
                      offset: int = Query(0, ge=0, le=1_000_000)) -> list[TokenPublic]:
    records = await asyncio.to_thread(_store(request).list_tokens, limit=limit, offset=offset)
    return [TokenPublic.of(record) for record in records]


@router.get("/{token_id}", response_model=TokenPublic)
async def get_token(token_id: str, request: Request, _: Admin) -> TokenPublic:
    return TokenPublic.of(await asyncio.to_thread(_store(request).get_token, token_id))


@router.delete("/{token_id}", response_model=TokenPublic)
async def revoke_token(token_id: str, request: Request, _: Admin) -> TokenPublic:
    """Revoke; websockets open with the token close with 4401 at once here, within a second on other instances."""
    record = await asyncio.to_thread(_store(request).revoke_token, token_id)
    request.app.state.sockets.cut_token(token_id, "token revoked")
    return TokenPublic.of(record)
