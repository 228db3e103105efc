import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";

/**
 * Processes of the harness: long-running servers (each its own process group, output to a log file,
 * pid in `<name>.pid`) and one-shot commands. Every started server is registered, so `stopAll()`
 * (from a test's afterAll, or the signal/exit handlers installed here) stops them even when a test
 * fails or the run is interrupted.
 */

export interface StartOptions {
    /** Short name: the log file is `<logDir>/<name>.log`, the pid file `<logDir>/<name>.pid`. */
    name: string;
    cmd: string;
    args?: string[];
    /** Added to (not replacing) the harness's environment. */
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    logDir: string;
    /** How long `stop()` waits after SIGTERM before SIGKILL. Default 20 s. */
    stopGraceMs?: number;
}

export interface ExitInfo {
    code: number | null;
    signal: NodeJS.Signals | null;
}

export interface Proc {
    readonly name: string;
    readonly pid: number;
    readonly logFile: string;
    readonly pidFile: string;
    /** Resolves when the process exits (whoever stopped it). */
    readonly exited: Promise<ExitInfo>;
    /** Set once the process has exited. */
    exitInfo(): ExitInfo | undefined;
    /** Last `lines` lines of the log, for error messages. */
    tail(lines?: number): string;
    /** SIGTERM to the process group, SIGKILL after the grace period; resolves when the group is gone. */
    stop(graceMs?: number): Promise<void>;
}

const registry = new Map<number, Proc>();
/** Process groups of one-shot commands still running (killed if the harness exits first). */
const oneShots = new Set<number>();

function groupAlive(pid: number): boolean {
    try {
        process.kill(-pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        // Already gone.
    }
}

function tailFile(file: string, lines: number): string {
    try {
        const text = fs.readFileSync(file, "utf8");
        return text.split("\n").slice(-lines - 1).join("\n");
    } catch {
        return "";
    }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function start(o: StartOptions): Proc {
    installSignalHandlers();
    fs.mkdirSync(o.logDir, { recursive: true });
    const logFile = path.join(o.logDir, `${o.name}.log`);
    const pidFile = path.join(o.logDir, `${o.name}.pid`);
    const fd = fs.openSync(logFile, "a");
    fs.writeSync(fd, `[e2e] ${new Date().toISOString()} starting: ${o.cmd} ${(o.args ?? []).join(" ")}\n`);
    let child: ChildProcess;
    try {
        child = spawn(o.cmd, o.args ?? [], {
            cwd: o.cwd,
            env: { ...process.env, ...o.env },
            stdio: ["ignore", fd, fd],
            // Its own process group, so stop() reaches the children too (launcher scripts, JVMs).
            detached: true,
        });
    } finally {
        fs.closeSync(fd);
    }
    if (child.pid === undefined) {
        throw new Error(`could not start ${o.name} (${o.cmd}); see ${logFile}`);
    }
    const pid = child.pid;
    fs.writeFileSync(pidFile, `${pid}\n`);

    let info: ExitInfo | undefined;
    const exited = new Promise<ExitInfo>((resolve) => {
        child.once("exit", (code, signal) => {
            info = { code, signal };
            resolve(info);
        });
        child.once("error", (err) => {
            fs.appendFileSync(logFile, `[e2e] spawn error: ${err.message}\n`);
            info = { code: -1, signal: null };
            resolve(info);
        });
    });

    let stopping: Promise<void> | undefined;
    const proc: Proc = {
        name: o.name,
        pid,
        logFile,
        pidFile,
        exited,
        exitInfo: () => info,
        tail: (lines = 40) => tailFile(logFile, lines),
        stop: (graceMs = o.stopGraceMs ?? 20_000) => {
            stopping ??= (async () => {
                signalGroup(pid, "SIGTERM");
                const deadline = Date.now() + graceMs;
                while (groupAlive(pid) && Date.now() < deadline) {
                    await sleep(100);
                }
                if (groupAlive(pid)) {
                    fs.appendFileSync(logFile, `[e2e] still running ${graceMs} ms after SIGTERM: SIGKILL\n`);
                    signalGroup(pid, "SIGKILL");
                    while (groupAlive(pid)) {
                        await sleep(50);
                    }
                }
                await exited;
                registry.delete(pid);
                fs.rmSync(pidFile, { force: true });
            })();
            return stopping;
        },
    };
    registry.set(pid, proc);
    return proc;
}

/** Stops every registered process, newest first (clients before the servers they use). */
export async function stopAll(): Promise<void> {
    const procs = [...registry.values()].reverse();
    for (const p of procs) {
        await p.stop();
    }
}

/** Started processes still registered (not yet stopped). */
export function running(): Proc[] {
    return [...registry.values()];
}

let handlersInstalled = false;

/**
 * On SIGINT/SIGTERM stop everything then exit; on a plain exit (no time for async work left) SIGKILL
 * every registered process group so nothing outlives the harness.
 */
export function installSignalHandlers(): void {
    if (handlersInstalled) {
        return;
    }
    handlersInstalled = true;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            process.stderr.write(`[e2e] ${sig}: stopping ${registry.size} process(es)\n`);
            void stopAll().finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
        });
    }
    process.once("exit", () => {
        for (const pid of [...registry.keys(), ...oneShots]) {
            signalGroup(pid, "SIGKILL");
        }
    });
}

export interface WaitOptions {
    /** Poll interval, default 250 ms. */
    intervalMs?: number;
    /** Fail at once (with its log tail) if this process exits while waiting. */
    proc?: Proc;
}

/**
 * Polls `predicate` until it returns something other than `undefined`/`false`/`null` and returns that.
 * A throwing predicate counts as "not yet"; its last error is part of the timeout message.
 */
export async function waitFor<T>(
    predicate: () => Promise<T | undefined | null | false> | T | undefined | null | false,
    timeoutMs: number,
    what: string,
    opts: WaitOptions = {},
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
        const died = opts.proc?.exitInfo();
        if (opts.proc && died) {
            throw new Error(
                `${opts.proc.name} exited (code ${died.code}, signal ${died.signal}) while waiting for ${what}; ` +
                    `log ${opts.proc.logFile}:\n${opts.proc.tail()}`,
            );
        }
        try {
            const v = await predicate();
            if (v !== undefined && v !== null && v !== false) {
                return v;
            }
        } catch (e) {
            lastError = e;
        }
        if (Date.now() >= deadline) {
            const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : "";
            const log = opts.proc ? `\nlog ${opts.proc.logFile}:\n${opts.proc.tail()}` : "";
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}${log}`);
        }
        await sleep(opts.intervalMs ?? 250);
    }
}

function tcpConnects(port: number, host: string): Promise<boolean> {
    return new Promise((resolve) => {
        const sock = net.connect({ port, host });
        sock.setTimeout(1000);
        sock.once("connect", () => {
            sock.destroy();
            resolve(true);
        });
        sock.once("timeout", () => {
            sock.destroy();
            resolve(false);
        });
        sock.once("error", () => resolve(false));
    });
}

export function waitForTcpPort(port: number, timeoutMs: number, opts: WaitOptions & { host?: string } = {}): Promise<true> {
    const host = opts.host ?? "127.0.0.1";
    return waitFor(() => tcpConnects(port, host), timeoutMs, `TCP ${host}:${port}`, opts);
}

export interface HttpResponse {
    status: number;
    body: string;
}

/** A plain GET over HTTP (loopback services only), never throwing on a status. */
export function httpGet(url: string, timeoutMs = 5000): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
        req.on("error", reject);
    });
}

/**
 * Waits until GET `url` answers with `okStatus` (a status, or a predicate on the response, e.g. one
 * that also inspects the body). Returns that response.
 */
export function waitForHttp(
    url: string,
    okStatus: number | ((r: HttpResponse) => boolean),
    timeoutMs: number,
    opts: WaitOptions = {},
): Promise<HttpResponse> {
    const ok = typeof okStatus === "number" ? (r: HttpResponse) => r.status === okStatus : okStatus;
    return waitFor(
        async () => {
            const r = await httpGet(url);
            if (ok(r)) {
                return r;
            }
            throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        },
        timeoutMs,
        `GET ${url}`,
        opts,
    );
}

export interface RunOptions {
    /** Added to (not replacing) the harness's environment. */
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Written to the command's stdin. */
    input?: string | Buffer;
    /** Kill the command (its process group) after this long. Default 30 min. */
    timeoutMs?: number;
    /** Also append the command and its output to this file. */
    logFile?: string;
}

export interface RunResult {
    stdout: string;
    stderr: string;
}

export class CommandError extends Error {
    constructor(
        message: string,
        readonly code: number | null,
        readonly stdout: string,
        readonly stderr: string,
    ) {
        super(message);
    }
}

/** Runs a one-shot command; rejects with its output when it exits non-zero (or cannot start). */
export function run(cmd: string, args: string[] = [], o: RunOptions = {}): Promise<RunResult> {
    installSignalHandlers();
    const line = [cmd, ...args].join(" ");
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, {
            cwd: o.cwd,
            env: { ...process.env, ...o.env },
            stdio: ["pipe", "pipe", "pipe"],
            detached: true,
        });
        if (child.pid !== undefined) {
            oneShots.add(child.pid);
        }
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (c: Buffer) => out.push(c));
        child.stderr.on("data", (c: Buffer) => err.push(c));
        const timer = setTimeout(() => {
            if (child.pid !== undefined) {
                signalGroup(child.pid, "SIGKILL");
            }
        }, o.timeoutMs ?? 30 * 60_000);
        child.once("error", (e) => {
            clearTimeout(timer);
            reject(new CommandError(`cannot run ${line}: ${e.message}`, null, "", ""));
        });
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            if (child.pid !== undefined) {
                oneShots.delete(child.pid);
            }
            const stdout = Buffer.concat(out).toString("utf8");
            const stderr = Buffer.concat(err).toString("utf8");
            if (o.logFile) {
                fs.appendFileSync(o.logFile, `[e2e] $ ${line}\n${stdout}${stderr}[e2e] exit ${code ?? signal}\n`);
            }
            if (code === 0) {
                resolve({ stdout, stderr });
            } else {
                const output = `${stdout}${stderr}`.trim().split("\n").slice(-60).join("\n");
                reject(new CommandError(`command failed (exit ${code ?? signal}): ${line}\n${output}`, code, stdout, stderr));
            }
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(o.input);
    });
}
