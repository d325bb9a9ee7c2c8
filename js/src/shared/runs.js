// The one pixel-run merge: spans narrower than a pixel, or touching the one before, are
// drawn as one rectangle per run of pixels, so that a frame costs what the screen shows,
// not what the trace holds.

export class PixelRuns {
  /**
   * @param {(a: number, b: number, key: number) => void} draw  draws one run [a, b] px
   * @param {number} [join]  px: a span starting at most this far after the run's end
   *                         joins it
   */
  constructor(draw, join = 0.75) {
    this.draw = draw;
    this.join = join;
    this.a = 0;
    this.b = -Infinity;
    this.key = -1;
    this.active = false;
  }

  /**
   * Add the span [a, b] px (key: what the run is drawn as, from its first span).
   * @param {number} a
   * @param {number} b
   * @param {number} [key]
   */
  add(a, b, key = -1) {
    if (this.active && a <= this.b + this.join) {
      this.b = Math.max(this.b, b);
      return;
    }
    this.flush();
    this.a = a;
    this.b = b;
    this.key = key;
    this.active = true;
  }

  /** Stretch the current run to at least `b` px. @param {number} b */
  extend(b) {
    if (this.active) this.b = Math.max(this.b, b);
  }

  /** Draw the run in progress, if any. */
  flush() {
    if (!this.active) return;
    this.active = false;
    this.draw(this.a, this.b, this.key);
  }
}
