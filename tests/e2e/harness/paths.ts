import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { repoRoot } from "../../../components/versions";

/**
 * Where the harness keeps things:
 * - the install cache (`<repo>/.cache/e2e`, gitignored): built and downloaded servers, kept across
 *   runs so a warm run installs nothing;
 * - one run directory per run under the OS temp dir: the servers' data and, in `logs/`, every log.
 *   It is removed after a passing run unless `E2E_KEEP_LOGS` is set; after a failing run it is kept
 *   and its path printed.
 */

export const cacheDir = process.env.E2E_CACHE_DIR ?? path.join(repoRoot, ".cache", "e2e");

export function ensureDir(dir: string): string {
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

export interface RunDir {
    /** The run's root directory (under the OS temp dir). */
    root: string;
    /** Logs of every process the run starts, and their pid files. */
    logs: string;
    /** A fresh directory for one service's data, e.g. `dataDir("mysql")`. */
    dataDir(name: string): string;
}

/** True when the caller asked to keep the run directory even after a passing run. */
export function keepLogs(): boolean {
    const v = process.env.E2E_KEEP_LOGS;
    return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

const unfinished = new Set<string>();
let exitHookInstalled = false;

export function createRunDir(prefix = "lakehouse-e2e"): RunDir {
    // Short on purpose: MariaDB's unix socket path lives in here and is limited to ~100 bytes.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    const logs = ensureDir(path.join(root, "logs"));
    unfinished.add(root);
    if (!exitHookInstalled) {
        exitHookInstalled = true;
        // Interrupted runs (a signal, process.exit) never reach finishRunDir: say where their logs are.
        process.once("exit", () => {
            for (const dir of unfinished) {
                process.stderr.write(`[e2e] run did not finish: logs and data kept in ${dir}\n`);
            }
        });
    }
    return {
        root,
        logs,
        dataDir: (name: string) => ensureDir(path.join(root, name)),
    };
}

/**
 * Ends a run's directory: prints where the logs are when the run failed or the caller asked to keep
 * them, else deletes it.
 */
export function finishRunDir(run: RunDir, failed: boolean): void {
    unfinished.delete(run.root);
    if (failed || keepLogs()) {
        const why = failed ? "run failed" : "E2E_KEEP_LOGS is set";
        process.stderr.write(`[e2e] ${why}: logs and data kept in ${run.root} (logs: ${run.logs})\n`);
        return;
    }
    fs.rmSync(run.root, { recursive: true, force: true });
}

/** Ports handed out by this process, so two calls never return the same one. */
const handedOut = new Set<number>();

/**
 * A free loopback TCP port, chosen by the OS (bind to port 0). The port is released before it is
 * returned, so a parallel run could in theory take it first; the OS cycles through its ephemeral
 * range, which makes that unlikely, and the caller sees a clear bind error if it happens.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
        const port = await new Promise<number>((resolve, reject) => {
            const srv = net.createServer();
            srv.unref();
            srv.once("error", reject);
            srv.listen({ host, port: 0, exclusive: true }, () => {
                const addr = srv.address();
                if (addr === null || typeof addr === "string") {
                    srv.close();
                    reject(new Error("could not read the bound port"));
                    return;
                }
                const p = addr.port;
                srv.close(() => resolve(p));
            });
        });
        if (!handedOut.has(port)) {
            handedOut.add(port);
            return port;
        }
    }
    throw new Error("could not find a free loopback port");
}

export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
        ports.push(await freePort(host));
    }
    return ports;
}
