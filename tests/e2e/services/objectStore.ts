import { randomBytes } from "crypto";
import * as path from "path";
import { defaults } from "../../../components/config";
import { createBucketScript } from "../../../components/objectStore";
import { installMinio, MinioInstall } from "../harness/install";
import { freePorts, RunDir } from "../harness/paths";
import { Proc, run, start, waitForHttp } from "../harness/proc";

/**
 * The program's object store: the MinIO server built at the pinned image's release, on free loopback
 * ports, with the warehouse bucket made by the program's own `object-store/create-bucket.sh` and
 * the `mc` built at the pinned client image's release.
 */

export interface ObjectStoreOptions {
    run: RunDir;
    /** Defaults: the program's (components/config.ts). */
    bucket?: string;
    region?: string;
}

export interface ObjectStoreService {
    /** `http://127.0.0.1:<port>` */
    endpoint: string;
    consoleUrl: string;
    region: string;
    bucket: string;
    accessKey: string;
    secretKey: string;
    /** The `S3_*` environment create-bucket.sh takes (also handy for other S3 clients). */
    env: NodeJS.ProcessEnv;
    install: MinioInstall;
    proc: Proc;
    /** Runs create-bucket.sh once more (it is idempotent); resolves with its output. */
    createBucket(): Promise<string>;
    /** Runs `mc <args>` against this server (alias `store`), e.g. `mc("ls", "--recursive", "store/warehouse")`. */
    mc(...args: string[]): Promise<string>;
    /** Stops the server, waits `downMs` (the outage), starts it again on the same port and data. */
    restart(downMs?: number): Promise<void>;
    stop(): Promise<void>;
}

const log = (msg: string) => process.stderr.write(`[e2e:object-store] ${msg}\n`);

export async function startObjectStore(o: ObjectStoreOptions): Promise<ObjectStoreService> {
    const install = await installMinio();
    const started = Date.now();
    const host = "127.0.0.1";
    const [apiPort, consolePort] = await freePorts(2);
    const dataDir = o.run.dataDir("minio");
    const mcConfigDir = o.run.dataDir("mc-config");
    const bucket = o.bucket ?? defaults.objectStore.bucket;
    const region = o.region ?? defaults.objectStore.region;
    const accessKey = `e2e${randomBytes(6).toString("hex")}`;
    const secretKey = randomBytes(20).toString("hex");
    const endpoint = `http://${host}:${apiPort}`;

    const launch = () => start({
        name: "minio",
        cmd: install.minio,
        args: ["server", path.join(dataDir, "data"), "--address", `${host}:${apiPort}`, "--console-address", `${host}:${consolePort}`],
        env: {
            MINIO_ROOT_USER: accessKey,
            MINIO_ROOT_PASSWORD: secretKey,
            // As the program sets it, so clients that sign for a region agree with the server.
            MINIO_REGION: region,
            MINIO_UPDATE: "off",
            HOME: dataDir,
        },
        logDir: o.run.logs,
    });
    let proc = launch();
    await waitForHttp(`${endpoint}/minio/health/ready`, 200, 60_000, { proc });
    log(`MinIO ${install.serverTag} ready on ${endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const env: NodeJS.ProcessEnv = {
        S3_ENDPOINT: endpoint,
        S3_ACCESS_KEY: accessKey,
        S3_SECRET_KEY: secretKey,
        S3_BUCKET: bucket,
        // The built mc first on PATH; its config in the run dir, never in $HOME.
        PATH: `${install.mcDir}${path.delimiter}${process.env.PATH ?? ""}`,
        MC_CONFIG_DIR: mcConfigDir,
    };
    const logFile = path.join(o.run.logs, "create-bucket.log");
    const createBucket = async () => (await run("sh", [createBucketScript], { env, logFile, timeoutMs: 5 * 60_000 })).stdout;
    const mc = async (...args: string[]) =>
        (
            await run(install.mc, ["--no-color", ...args], {
                env: { ...env, MC_HOST_store: `http://${accessKey}:${secretKey}@${host}:${apiPort}` },
                timeoutMs: 5 * 60_000,
            })
        ).stdout;

    await createBucket();
    return {
        endpoint,
        consoleUrl: `http://${host}:${consolePort}`,
        region,
        bucket,
        accessKey,
        secretKey,
        env,
        install,
        get proc() {
            return proc;
        },
        createBucket,
        mc,
        restart: async (downMs = 0) => {
            await proc.stop();
            await new Promise((r) => setTimeout(r, downMs));
            proc = launch();
            await waitForHttp(`${endpoint}/minio/health/ready`, 200, 60_000, { proc });
        },
        stop: () => proc.stop(),
    };
}
