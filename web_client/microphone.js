// Microphone capture: getUserMedia -> AudioWorklet (pcm_worklet.js) -> 100 ms frames of 16 kHz PCM16.

const WORKLET_URL = "/static/pcm_worklet.js";

/** Audio inputs; their labels are empty until the page was once allowed to use a microphone. */
export async function listMicrophones() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === "audioinput")
    .map((d, n) => ({ deviceId: d.deviceId, label: d.label || `Microphone ${n + 1}` }));
}

/** RMS level (0..1) as a meter reading: -60 dBFS and below is 0, 0 dBFS is 1. */
export function meterValue(rms) {
  if (!(rms > 0)) return 0;
  return Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60));
}

export class MicrophoneCapture {
  /** @param {{deviceId?: string, onFrame: (pcm: ArrayBuffer) => void, onLevel?: (rms: number) => void}} options */
  constructor({ deviceId = "", onFrame, onLevel = () => {} }) {
    Object.assign(this, { deviceId, onFrame, onLevel });
    this.stream = null;
    this.context = null;
    this.node = null;
    this.stopped = false;
  }

  /** Start capturing; resolves to this, or to null when stop() was called before capture had started. */
  async start() {
    this.stopped = false;
    const audio = { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 };
    if (this.deviceId) audio.deviceId = { exact: this.deviceId };
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video: false });
    if (this.stopped) { // stopped while the browser was opening the microphone: close it again at once
      for (const track of stream.getTracks()) track.stop();
      return null;
    }
    this.stream = stream;
    try {
      const context = this.context = new AudioContext({ latencyHint: "interactive" });
      await context.audioWorklet.addModule(WORKLET_URL);
      if (this.stopped) return null; // stop() has closed the stream and the context
      const source = context.createMediaStreamSource(stream);
      const node = this.node = new AudioWorkletNode(context, "pcm16-downsampler",
                                                    { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
      node.port.onmessage = ({ data }) => {
        this.onFrame(data.pcm);
        this.onLevel(data.rms);
      };
      source.connect(node);
      node.connect(context.destination); // keeps the graph pulling; the worklet outputs silence
      await context.resume();
    } catch (error) {
      if (this.stopped) return null; // the failure is stop()'s doing, not the microphone's
      await this.stop();
      throw error;
    }
    return this.stopped ? null : this;
  }

  /** The microphone's track label, once capture started. */
  get label() {
    const track = this.stream && this.stream.getAudioTracks()[0];
    return track ? track.label : "";
  }

  async stop() {
    this.stopped = true;
    if (this.node) {
      this.node.port.postMessage("flush");
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the last frame arrive
      this.node.disconnect();
      this.node.port.onmessage = null;
    }
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    if (this.context && this.context.state !== "closed") await this.context.close();
    this.node = null;
    this.stream = null;
    this.context = null;
  }
}
