// AudioWorklet: microphone audio at the context's rate -> 16 kHz mono PCM16 frames of 100 ms.
//
// Channels are averaged to mono, low-pass filtered below 8 kHz and resampled
// with a windowed-sinc kernel (Blackman window, 8 zero crossings a side,
// looked up in a table of 256 phases per input sample), which works for any
// input rate (44.1 kHz, 48 kHz, ...). Each full frame is posted to the page as
// an ArrayBuffer of little-endian int16 samples with its RMS level.
// A "flush" message posts the samples of the frame begun so far.

const OUT_RATE_HZ = 16000;
const FRAME_SAMPLES = 1600; // 100 ms at 16 kHz
const ZERO_CROSSINGS = 8;
const PHASES = 256;
const PASSBAND = 0.92; // cutoff as a share of the output Nyquist frequency

function blackman(x) { // x in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

class Resampler {
  constructor(inRateHz) {
    this.step = inRateHz / OUT_RATE_HZ; // input samples per output sample
    const cutoff = (0.5 * PASSBAND) / Math.max(1, this.step); // cycles per input sample
    this.half = Math.ceil(ZERO_CROSSINGS / (2 * cutoff));
    const size = 2 * this.half * PHASES + 2;
    this.table = new Float32Array(size);
    for (let j = 0; j < size; j++) {
      const x = j / PHASES - this.half;
      const arg = 2 * cutoff * x;
      const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
      this.table[j] = Math.abs(x) > this.half ? 0 : 2 * cutoff * sinc * blackman(x / this.half);
    }
    this.buffer = new Float32Array(16384);
    this.length = 0; // samples held in buffer
    this.start = 0; // absolute index of buffer[0]
    this.next = 0; // absolute input position of the next output sample
  }

  kernel(distance) {
    const position = (distance + this.half) * PHASES;
    const j = Math.floor(position);
    const frac = position - j;
    return this.table[j] + frac * (this.table[j + 1] - this.table[j]);
  }

  /** Feed mono input; call emit(sample) for each output sample now computable. */
  push(input, emit) {
    if (this.length + input.length > this.buffer.length) {
      const bigger = new Float32Array(2 * (this.length + input.length));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
    this.buffer.set(input, this.length);
    this.length += input.length;
    const end = this.start + this.length; // absolute index one past the last sample held
    while (this.next + this.half < end) {
      const first = Math.max(this.start, Math.ceil(this.next - this.half));
      const last = Math.floor(this.next + this.half);
      let sum = 0;
      for (let i = first; i <= last; i++) sum += this.buffer[i - this.start] * this.kernel(this.next - i);
      emit(sum);
      this.next += this.step;
    }
    const keepFrom = Math.max(this.start, Math.floor(this.next - this.half));
    const drop = keepFrom - this.start;
    if (drop > 0) {
      this.buffer.copyWithin(0, drop, this.length);
      this.length -= drop;
      this.start = keepFrom;
    }
  }
}

class Pcm16Downsampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new Resampler(sampleRate);
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.sumSquares = 0;
    this.mono = new Float32Array(128);
    this.emit = (sample) => this.#add(sample);
    this.port.onmessage = (message) => {
      if (message.data === "flush") this.#post(this.filled);
    };
  }

  #add(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.sumSquares += clipped * clipped;
    this.frame[this.filled++] = Math.round(clipped * 32767);
    if (this.filled === FRAME_SAMPLES) this.#post(FRAME_SAMPLES);
  }

  #post(samples) {
    if (samples === 0) return;
    const pcm = this.frame.slice(0, samples).buffer;
    const rms = Math.sqrt(this.sumSquares / samples);
    this.port.postMessage({ pcm, rms }, [pcm]);
    this.filled = 0;
    this.sumSquares = 0;
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const frames = channels[0].length;
    if (this.mono.length !== frames) this.mono = new Float32Array(frames);
    this.mono.fill(0);
    for (const channel of channels) {
      for (let i = 0; i < frames; i++) this.mono[i] += channel[i] / channels.length;
    }
    this.resampler.push(this.mono, this.emit);
    return true;
  }
}

registerProcessor("pcm16-downsampler", Pcm16Downsampler);
