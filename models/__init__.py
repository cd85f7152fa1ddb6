"""floorcast models: speech model provisioning and the streaming recogniser."""
