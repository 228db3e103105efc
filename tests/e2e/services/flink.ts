import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { defaults } from "../../../components/config";
import { cdcServerIdRanges, pipelineEnv, pipelineSqlPath } from "../../../components/flinkSql";
import { entryClass, jobName } from "../../../components/flinkPipeline";
import { warehouseUri } from "../../../components/objectStore";
import { repoRoot } from "../../../components/versions";
import { CheckpointStats, checkpointStats, flinkJobs } from "../../../verify/flink";
import { which } from "../harness/install";
import { ensureDir, freePort, RunDir } from "../harness/paths";
import { Proc, run, start, waitFor } from "../harness/proc";
import { MySqlService } from "./mysql";
import { ObjectStoreService } from "./objectStore";

/**
 * The pipeline job (flink-sql/pipeline.sql) run locally: the SQL runner in one JVM with a MiniCluster,
 * on the jars the job image carries (target/flink-dist stands in for the image's Flink, target/flink-lib
 * is what the image adds), with a config.yaml that mirrors the FlinkDeployment's flinkConfiguration
 * (components/flinkPipeline.ts) where it applies, and exactly the environment the cluster gives the
 * job (components/flinkSql.ts pipelineEnv). Checkpoints go to the harness's MinIO through the S3
 * plugin, so a killed job can be restarted from its last retained checkpoint.
 */

export const runnerDir = path.join(repoRoot, "flink-sql", "runner");
const pomFile = path.join(runnerDir, "pom.xml");
const targetDir = path.join(runnerDir, "target");
export const flinkJars = {
    runnerJar: path.join(targetDir, "flink-sql-runner.jar"),
    libDir: path.join(targetDir, "flink-lib"),
    distDir: path.join(targetDir, "flink-dist"),
    pluginsDir: path.join(targetDir, "flink-plugins"),
} as const;
/** Written after a build this module ran; its mtime is "when the jars were last built from the sources". */
const buildStamp = path.join(targetDir, ".e2e-flink-jars");

const log = (msg: string) => process.stderr.write(`[e2e:flink] ${msg}\n`);

function filesUnder(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(full) : [full];
    });
}

const jarsIn = (dir: string) => filesUnder(dir).filter((f) => f.endsWith(".jar"));

/** Why the jars need a build, or undefined when they are up to date. */
export function flinkJarsStale(): string | undefined {
    if (!fs.existsSync(flinkJars.runnerJar)) return `${flinkJars.runnerJar} is missing`;
    for (const dir of [flinkJars.libDir, flinkJars.distDir, flinkJars.pluginsDir]) {
        if (jarsIn(dir).length === 0) return `${dir} has no jars`;
    }
    const inputs = [pomFile, ...filesUnder(path.join(runnerDir, "src", "main"))];
    const newestInput = Math.max(...inputs.map((f) => fs.statSync(f).mtimeMs));
    const built = fs.existsSync(buildStamp) ? fs.statSync(buildStamp).mtimeMs : fs.statSync(flinkJars.runnerJar).mtimeMs;
    if (newestInput > built) {
        const newest = inputs.find((f) => fs.statSync(f).mtimeMs === newestInput);
        return `${path.relative(repoRoot, newest ?? pomFile)} changed after the last build`;
    }
    return undefined;
}

export interface FlinkJarsResult {
    cached: boolean;
    elapsedMs: number;
}

/**
 * Builds the runner and collects the Flink jars (`mvn package -DskipTests`) when any output is missing
 * or older than the pom or the runner's sources; otherwise returns at once.
 */
export async function ensureFlinkJars(): Promise<FlinkJarsResult> {
    const started = Date.now();
    const why = flinkJarsStale();
    if (why === undefined) {
        return { cached: true, elapsedMs: Date.now() - started };
    }
    const mvn = which("mvn");
    if (!mvn) {
        throw new Error("Maven (mvn) is needed to build the Flink SQL runner; apt-get install -y maven");
    }
    log(`building the Flink jars (${why})`);
    await run(mvn, ["-B", "-q", "-f", pomFile, "package", "-DskipTests"], { cwd: repoRoot, timeoutMs: 30 * 60_000 });
    const still = flinkJarsStale();
    if (still !== undefined && !still.includes("changed after")) {
        throw new Error(`mvn package finished but the Flink jars are not all there: ${still}`);
    }
    fs.writeFileSync(buildStamp, `${new Date().toISOString()}\n`);
    const elapsedMs = Date.now() - started;
    log(`Flink jars built in ${(elapsedMs / 1000).toFixed(0)} s`);
    return { cached: false, elapsedMs };
}

/** The JVM flags Flink 1.20 needs on Java 17: the pom's `flink.jvm.flags` property. */
export function flinkJvmFlags(): string[] {
    const m = /<flink\.jvm\.flags>([^<]*)<\/flink\.jvm\.flags>/.exec(fs.readFileSync(pomFile, "utf8"));
    if (!m) {
        throw new Error(`${pomFile} has no <flink.jvm.flags> property`);
    }
    return m[1].trim().split(/\s+/);
}

function javaMajorOf(home: string): number | undefined {
    try {
        const m = /JAVA_VERSION="(\d+)/.exec(fs.readFileSync(path.join(home, "release"), "utf8"));
        return m ? Number(m[1]) : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The `java` of a JDK 17, as in the job image (flink:<v>-scala_2.12-java17): `E2E_FLINK_JAVA_HOME`,
 * else a JDK 17 under /usr/lib/jvm, else `java` on PATH.
 */
export function flinkJava(): string {
    const homes = [process.env.E2E_FLINK_JAVA_HOME, process.env.JAVA_HOME].filter((h): h is string => !!h);
    if (fs.existsSync("/usr/lib/jvm")) {
        homes.push(...fs.readdirSync("/usr/lib/jvm").map((d) => path.join("/usr/lib/jvm", d)));
    }
    for (const h of homes) {
        const java = path.join(h, "bin", "java");
        if (javaMajorOf(h) === 17 && fs.existsSync(java)) {
            return java;
        }
    }
    const onPath = which("java");
    if (!onPath) {
        throw new Error("no JDK 17 found (E2E_FLINK_JAVA_HOME, /usr/lib/jvm, PATH); the job image runs Flink on Java 17");
    }
    return onPath;
}

export interface FlinkJobOptions {
    run: RunDir;
    mysql: MySqlService;
    objectStore: ObjectStoreService;
    checkpointIntervalSeconds: number;
    /** Default: the program's (components/config.ts, 1). */
    parallelism?: number;
    /** A retained checkpoint (or savepoint) path, e.g. `s3://warehouse/flink/<job>/checkpoints/<id>/chk-7`. */
    restoreFrom?: string;
    /** The Iceberg branch the job writes (default main); a rebuild writes its own branch. */
    sinkBranch?: string;
    /** JVM heap, MiB. Default 1024. */
    heapMiB?: number;
    /** How long to wait for the job to show RUNNING. Default 3 min. */
    startTimeoutMs?: number;
}

export type CheckpointCounts = Pick<CheckpointStats, "completed" | "failed" | "inProgress" | "restored">;

const countsOf = ({ completed, failed, inProgress, restored }: CheckpointStats): CheckpointCounts => ({ completed, failed, inProgress, restored });

export interface FlinkJob {
    /** `http://127.0.0.1:<port>` (the MiniCluster's REST API). */
    restUrl: string;
    proc: Proc;
    jobId: string;
    /** The config.yaml the JVM read (contains the S3 keys: run dir only). */
    configFile: string;
    /** Where checkpoints go: `s3://<bucket>/flink/<job>/checkpoints`. */
    checkpointDir: string;
    restoredFrom?: string;
    timings: {
        /** When the JVM was launched (epoch ms). */
        startedAt: number;
        /** JVM launch to the job's RUNNING state in /jobs/overview. */
        startToRunningMs: number;
        /** JVM launch to the first completed checkpoint, once `waitForCheckpoints` saw it. */
        startToFirstCheckpointMs?: number;
    };
    /** Waits until at least `n` checkpoints of this job have completed; returns the counts. */
    waitForCheckpoints(n: number, timeoutMs?: number): Promise<CheckpointCounts>;
    checkpointCounts(): Promise<CheckpointCounts>;
    /** Same as checkpointCounts. */
    checkpoints(): Promise<CheckpointCounts>;
    /** `id: failure_message` of the failed checkpoints still in the REST history. */
    checkpointFailures(): Promise<string[]>;
    /**
     * `external_path` of the latest completed checkpoint: from REST `/jobs/<id>/checkpoints` while the
     * JVM runs; once it is gone (killed), the newest `chk-<n>` with a `_metadata` file in the job's
     * checkpoint directory (what a last-state restart picks), or undefined when there is none.
     */
    latestCheckpointPath(): Promise<string | undefined>;
    /** Resident set size of the JVM now and its peak (VmRSS / VmHWM), bytes. */
    rss(): { current: number; peak: number };
    /** SIGKILL to the JVM: a crash, no shutdown hooks, no final checkpoint. */
    kill(): Promise<void>;
    /** SIGTERM, then SIGKILL after the grace period. */
    stop(): Promise<void>;
}

let jobCounter = 0;

function procStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
    try {
        const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) * 1024 : 0;
    } catch {
        return 0;
    }
}

/**
 * The newest complete checkpoint a (dead) job left in `<checkpointDir>/<jobId>/`: `chk-<n>` directories
 * whose `_metadata` (written last) exists.
 */
export async function latestRetainedCheckpoint(store: ObjectStoreService, checkpointDir: string, jobId: string): Promise<string | undefined> {
    const prefix = `s3://${store.bucket}/`;
    if (!checkpointDir.startsWith(prefix)) {
        throw new Error(`${checkpointDir} is not in bucket ${store.bucket}`);
    }
    const key = `${checkpointDir.slice(prefix.length)}/${jobId}/`;
    let listing: string;
    try {
        listing = await store.mc("ls", "--recursive", `store/${store.bucket}/${key}`);
    } catch {
        return undefined;
    }
    const ids = [...listing.matchAll(/chk-(\d+)\/_metadata\s*$/gm)].map((m) => Number(m[1]));
    return ids.length ? `${checkpointDir}/${jobId}/chk-${Math.max(...ids)}` : undefined;
}

/**
 * The Flink configuration of the local MiniCluster: the FlinkDeployment's flinkConfiguration where it
 * applies (state backend, checkpointing, retention, restart strategy, S3), plus what a single local
 * JVM needs (loopback binds, REST port, local dirs). Not carried over: Kubernetes HA (a restart from
 * `restoreFrom` plays the part of last-state recovery) and operator-only keys.
 */
export function localFlinkConfig(o: {
    bucket: string;
    s3Endpoint: string;
    accessKey: string;
    secretKey: string;
    checkpointIntervalSeconds: number;
    parallelism: number;
    restPort: number;
    workDir: string;
    restoreFrom?: string;
}): Record<string, string | number | boolean> {
    const flinkDir = (sub: string) => `s3://${o.bucket}/flink/${jobName}/${sub}`;
    const conf: Record<string, string | number | boolean> = {
        // --- as components/flinkPipeline.ts sets it
        "taskmanager.numberOfTaskSlots": Math.max(defaults.flink.taskSlots, o.parallelism),
        "state.backend.type": "rocksdb",
        "execution.checkpointing.incremental": true,
        "execution.checkpointing.interval": `${o.checkpointIntervalSeconds} s`,
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "execution.checkpointing.num-retained": 3,
        "execution.checkpointing.dir": flinkDir("checkpoints"),
        "execution.checkpointing.savepoint-dir": flinkDir("savepoints"),
        "restart-strategy.type": "exponential-delay",
        "restart-strategy.exponential-delay.initial-backoff": "5 s",
        "restart-strategy.exponential-delay.max-backoff": "2 min",
        "restart-strategy.exponential-delay.backoff-multiplier": 2.0,
        "restart-strategy.exponential-delay.reset-backoff-threshold": "10 min",
        "restart-strategy.exponential-delay.jitter-factor": 0.1,
        "s3.endpoint": o.s3Endpoint,
        "s3.path.style.access": true,
        // In the cluster the plugin reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; here the keys
        // sit in this run-dir file so the job's environment stays exactly pipelineEnv's.
        "s3.access-key": o.accessKey,
        "s3.secret-key": o.secretKey,
        // --- the job's parallelism (spec.job.parallelism in the FlinkDeployment)
        "parallelism.default": o.parallelism,
        // --- one local JVM: everything on loopback, REST on a known port
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.port": o.restPort,
        "rest.bind-port": String(o.restPort),
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        // The REST API caches checkpoint statistics (default: web.refresh-interval, 3 s); a harness
        // that polls for "n checkpoints done" wants them fresh.
        "rest.cache.checkpoint-statistics.timeout": "200 ms",
        "io.tmp.dirs": ensureDir(path.join(o.workDir, "tmp")),
        "web.tmpdir": ensureDir(path.join(o.workDir, "web")),
        "state.backend.rocksdb.localdir": ensureDir(path.join(o.workDir, "rocksdb")),
    };
    if (o.restoreFrom) {
        conf["execution.savepoint.path"] = o.restoreFrom;
    }
    return conf;
}

/**
 * Starts the pipeline job. Resolves once /jobs/overview shows it RUNNING; the JVM's log is
 * `<run>/logs/flink-job-<n>.log`.
 */
/** The job's environment (components/flinkSql.ts pipelineEnv) against the harness's servers. */
export function harnessPipelineEnv(o: {
    mysql: MySqlService;
    objectStore: ObjectStoreService;
    checkpointIntervalSeconds: number;
    parallelism: number;
    sinkBranch?: string;
}): { plain: Record<string, string>; secret: Record<string, string> } {
    const store = o.objectStore;
    return pipelineEnv<string, string>({
        checkpointIntervalSeconds: o.checkpointIntervalSeconds,
        mysql: { host: o.mysql.host, port: o.mysql.port, cdcUser: o.mysql.users.cdc.name, cdcPassword: o.mysql.users.cdc.password },
        catalog: { jdbcUrl: o.mysql.jdbcUrl(o.mysql.databases.catalog), user: o.mysql.users.catalog.name, password: o.mysql.users.catalog.password },
        warehouse: {
            uri: warehouseUri(store.bucket),
            endpoint: store.endpoint,
            region: store.region,
            pathStyle: true,
            credentials: { accessKey: store.accessKey, secretKey: store.secretKey },
        },
        cdcServerIds: cdcServerIdRanges(o.parallelism),
        sinkBranch: o.sinkBranch,
    });
}

export async function startFlinkJob(o: FlinkJobOptions): Promise<FlinkJob> {
    await ensureFlinkJars();
    const n = ++jobCounter;
    const parallelism = o.parallelism ?? defaults.flink.parallelism;
    const workDir = o.run.dataDir(`flink-${n}`);
    const confDir = ensureDir(path.join(workDir, "conf"));
    const restPort = await freePort();
    const restUrl = `http://127.0.0.1:${restPort}`;
    const store = o.objectStore;

    const conf = localFlinkConfig({
        bucket: store.bucket,
        s3Endpoint: store.endpoint,
        accessKey: store.accessKey,
        secretKey: store.secretKey,
        checkpointIntervalSeconds: o.checkpointIntervalSeconds,
        parallelism,
        restPort,
        workDir,
        restoreFrom: o.restoreFrom,
    });
    const configFile = path.join(confDir, "config.yaml");
    fs.writeFileSync(configFile, stringify(conf), { mode: 0o600 });

    const env = harnessPipelineEnv({ ...o, parallelism });

    const classpath = [path.join(flinkJars.distDir, "*"), path.join(flinkJars.libDir, "*"), flinkJars.runnerJar].join(path.delimiter);
    const args = [
        ...flinkJvmFlags(),
        `-Xmx${o.heapMiB ?? 1024}m`,
        `-Dlog4j.configurationFile=${path.join(runnerDir, "local", "log4j2.properties")}`,
        `-Djava.io.tmpdir=${ensureDir(path.join(workDir, "tmp"))}`,
        "-cp",
        classpath,
        entryClass,
        pipelineSqlPath,
    ];
    const started = Date.now();
    const proc = start({
        name: `flink-job-${n}`,
        cmd: flinkJava(),
        args,
        cwd: repoRoot,
        env: {
            ...env.plain,
            ...env.secret,
            SQL_RUNNER_AWAIT: "true",
            // What a Flink process reads at start-up; the runner does the same locally.
            FLINK_CONF_DIR: confDir,
            FLINK_PLUGINS_DIR: flinkJars.pluginsDir,
        },
        logDir: o.run.logs,
        stopGraceMs: 30_000,
    });

    const jobId = await waitFor(
        async () => {
            const jobs = await flinkJobs(restUrl);
            const failed = jobs.find((j) => ["FAILED", "CANCELED", "FINISHED"].includes(j.state));
            if (failed) {
                throw new Error(`job ${failed.id} is ${failed.state}`);
            }
            return jobs.find((j) => j.state === "RUNNING")?.id;
        },
        o.startTimeoutMs ?? 3 * 60_000,
        `the Flink job RUNNING at ${restUrl}/jobs/overview`,
        { proc, intervalMs: 250 },
    );
    const startToRunningMs = Date.now() - started;
    log(`job ${jobId} RUNNING ${(startToRunningMs / 1000).toFixed(1)} s after JVM start (pid ${proc.pid}, REST ${restUrl})` +
        (o.restoreFrom ? `, restored from ${o.restoreFrom}` : ""));

    const stats = () => checkpointStats(restUrl, jobId);
    const checkpointCounts = async (): Promise<CheckpointCounts> => countsOf(await stats());
    const job: FlinkJob = {
        restUrl,
        proc,
        jobId,
        configFile,
        checkpointDir: String(conf["execution.checkpointing.dir"]),
        restoredFrom: o.restoreFrom,
        timings: { startedAt: started, startToRunningMs },
        checkpointCounts,
        checkpoints: checkpointCounts,
        checkpointFailures: async () =>
            (await stats()).history.filter((h) => h.status === "FAILED").map((h) => `${h.id}: ${h.failureMessage ?? "?"}`),
        waitForCheckpoints: async (count: number, timeoutMs = 3 * 60_000) => {
            return waitFor(
                async () => {
                    const b = await stats();
                    if (b.completed >= 1 && job.timings.startToFirstCheckpointMs === undefined) {
                        // When the first one was acknowledged, not when this poll saw it.
                        const done = b.history.filter((h) => h.status === "COMPLETED" && h.ackAt);
                        const first = done.sort((x, y) => x.id - y.id)[0];
                        job.timings.startToFirstCheckpointMs = (first?.ackAt ?? Date.now()) - started;
                    }
                    return b.completed >= count ? countsOf(b) : undefined;
                },
                timeoutMs,
                `${count} completed checkpoint(s) of job ${jobId}`,
                { proc, intervalMs: 200 },
            );
        },
        latestCheckpointPath: async () => {
            if (proc.exitInfo() === undefined) {
                try {
                    return (await stats()).latestPath;
                } catch (e) {
                    if (proc.exitInfo() === undefined) throw e;
                }
            }
            return latestRetainedCheckpoint(store, String(conf["execution.checkpointing.dir"]), jobId);
        },
        rss: () => ({ current: procStatusBytes(proc.pid, "VmRSS"), peak: procStatusBytes(proc.pid, "VmHWM") }),
        kill: async () => {
            try {
                process.kill(-proc.pid, "SIGKILL");
            } catch {
                // already gone
            }
            await proc.exited;
            await proc.stop();
        },
        stop: () => proc.stop(),
    };
    return job;
}
