/** Whether any step of a suite failed, so the suite keeps its run directory (the logs) for reading. */
export class Outcome {
    failed = false;

    /** Wraps a test or setup body: anything it throws marks the suite failed, then propagates. */
    track = <T>(fn: () => Promise<T>): (() => Promise<T>) => {
        return async () => {
            try {
                return await fn();
            } catch (e) {
                this.failed = true;
                throw e;
            }
        };
    };
}
