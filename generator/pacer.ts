/**
 * Hands out change slots to the generator's connections at the configured average rate. With a burst
 * size above 1, slots are released in groups at once, so several connections write simultaneously and
 * then all wait: the average rate stays the same, the peaks do not.
 */
export class Pacer {
    private issued = 0;
    private readonly start: number;
    bursts = 0;

    constructor(
        private readonly o: { rate: number; burst: number; maxEvents: number },
        private readonly now: () => number = Date.now,
        private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    ) {
        this.start = now();
    }

    /** When slot `i` may start, in ms after the pacer's start. */
    static dueAt(i: number, rate: number, burst: number): number {
        return Math.floor(i / burst) * burst * (1000 / rate);
    }

    /** Waits for the next slot; false when the budget is spent or `stopped()` says so. */
    async take(stopped: () => boolean): Promise<boolean> {
        if (stopped() || (this.o.maxEvents > 0 && this.issued >= this.o.maxEvents)) return false;
        const i = this.issued++;
        if (this.o.burst > 1 && i % this.o.burst === 0) this.bursts++;
        const wait = this.start + Pacer.dueAt(i, this.o.rate, this.o.burst) - this.now();
        if (wait > 0) await this.sleep(wait);
        return !stopped();
    }
}
