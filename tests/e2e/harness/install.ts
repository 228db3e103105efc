import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    minioClientImage,
    minioImage,
    mysqlConnectorVersion,
    repoRoot,
    trinoVersion,
} from "../../../components/versions";
import { cacheDir, ensureDir } from "./paths";
import { run, waitFor } from "./proc";

/**
 * Idempotent, cached installers of the real servers the harness runs. Everything lands in the
 * install cache (`.cache/e2e`); a warm call only checks stamps and returns paths. Versions come from
 * `components/versions.ts` (and the pom it reads), never from here.
 */

export interface InstallTiming {
    /** True when nothing had to be built or downloaded. */
    cached: boolean;
    elapsedMs: number;
}

const log = (msg: string) => process.stderr.write(`[e2e:install] ${msg}\n`);

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

/** First executable named `name` on PATH (plus the sbin dirs, where Debian puts mariadbd). */
export function which(name: string, extraDirs: string[] = ["/usr/local/sbin", "/usr/sbin", "/sbin"]): string | undefined {
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter), ...extraDirs].filter((d) => d !== "");
    for (const d of dirs) {
        const f = path.join(d, name);
        if (isExecutable(f)) {
            return f;
        }
    }
    return undefined;
}

function readStamp(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8").trim();
    } catch {
        return undefined;
    }
}

// ---------------------------------------------------------------------------------------------------
// MinIO server and client, built from source through the Go module proxy.
// ---------------------------------------------------------------------------------------------------

/** The tag of an image reference: `quay.io/minio/minio:RELEASE.X` -> `RELEASE.X`. */
export function imageTag(image: string): string {
    const tag = image.slice(image.lastIndexOf(":") + 1);
    if (tag === image || tag.includes("/")) {
        throw new Error(`image '${image}' has no tag`);
    }
    return tag;
}

/**
 * MinIO release tags, as the module proxy knows them. MinIO tags releases `RELEASE.<commit time UTC>`,
 * which is not a semantic version, so the proxy serves those commits as pseudo-versions
 * `v0.0.0-<yyyymmddhhmmss>-<12-hex commit>`. A proxy that resolves tag names (the public default does)
 * is asked first; one that serves only canonical versions (as on this project's machines) needs the
 * commit, recorded here per tag with the module zip's `h1:` hash. The hash is checked on every build:
 * the checksum database has no entry for these pseudo-versions on such a proxy (lookup 404), so the
 * recorded hash takes its place (GONOSUMDB for that one module only).
 * Bumping a pin in versions.ts to a tag missing here fails with instructions.
 */
const minioReleases: Record<string, Record<string, { commit: string; sum: string }>> = {
    "github.com/minio/minio": {
        "RELEASE.2025-09-07T16-13-09Z": { commit: "07c3a429bfed", sum: "h1:deu0m9BiyqnMbGWfJi1PpVyotSXlDnTmRIme1cUXnxo=" },
    },
    "github.com/minio/mc": {
        "RELEASE.2025-08-13T08-35-41Z": { commit: "7394ce0dd2a8", sum: "h1:9tuRE4iEaDkuxatxe7pddYYh1SX5mT0/D0haofZFeTY=" },
    },
};

interface GoModuleInfo {
    Version: string;
    Time?: string;
    Sum?: string;
    Error?: string;
    Origin?: { Hash?: string };
}

/** Runs a `go` subcommand outside any module, so no go.mod of the project plays a part. */
async function goJson(goBin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<GoModuleInfo> {
    const { stdout } = await run(goBin, args, {
        cwd: os.tmpdir(),
        env: { GO111MODULE: "on", ...env },
        timeoutMs: 15 * 60_000,
    });
    return JSON.parse(stdout) as GoModuleInfo;
}

/** `RELEASE.2025-09-07T16-13-09Z` -> `2025-09-07T16:13:09Z`. */
function releaseTagTime(tag: string): string {
    const m = /^RELEASE\.(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/.exec(tag);
    if (!m) {
        throw new Error(`'${tag}' is not a MinIO release tag (RELEASE.YYYY-MM-DDTHH-MM-SSZ)`);
    }
    return `${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`;
}

export interface ResolvedModule {
    /** Canonical module version (a pseudo-version for MinIO releases). */
    version: string;
    /** Full or short commit id. */
    commit: string;
    /** Extra environment for `go` commands on this module (GONOSUMDB when the recorded hash is used). */
    env: NodeJS.ProcessEnv;
}

/**
 * Resolves a MinIO release tag to the module version the proxy serves, downloads it into the module
 * cache and checks its hash against the recorded one.
 */
export async function resolveMinioModule(goBin: string, module: string, tag: string): Promise<ResolvedModule> {
    const tagTime = releaseTagTime(tag);
    const recorded = minioReleases[module]?.[tag];
    if (!recorded) {
        try {
            const byTag = await goJson(goBin, ["mod", "download", "-json", `${module}@${tag}`]);
            return { version: byTag.Version, commit: byTag.Origin?.Hash ?? byTag.Version.slice(-12), env: {} };
        } catch (e) {
            throw new Error(
                `the module proxy does not resolve ${module}@${tag} (${firstLine(e)}) and no commit is recorded for it in ` +
                    `tests/e2e/harness/install.ts (minioReleases). Record the first 12 hex digits of the commit the tag ` +
                    `points to (git ls-remote <repo> 'refs/tags/${tag}^{}') and the h1: hash 'go mod download -json' reports.`,
            );
        }
    }
    const version = `v0.0.0-${tagTime.replace(/[-:TZ]/g, "")}-${recorded.commit}`;
    const env = { GONOSUMDB: module };
    let info: GoModuleInfo;
    try {
        // The proxy checks that the timestamp matches the commit: a wrong pair fails here.
        info = await goJson(goBin, ["mod", "download", "-json", `${module}@${version}`], env);
    } catch (e) {
        throw new Error(`could not download ${module}@${version} (${tag}) from the module proxy: ${firstLine(e)}`);
    }
    if (info.Sum !== recorded.sum) {
        throw new Error(`${module}@${version}: module hash ${info.Sum} differs from the recorded ${recorded.sum}; refusing to build`);
    }
    return { version, commit: info.Origin?.Hash ?? recorded.commit, env };
}

function firstLine(e: unknown): string {
    const msg = e instanceof Error ? e.message : String(e);
    const lines = msg.split("\n").filter((l) => l.trim() !== "");
    return lines.find((l) => /403|404|invalid version|not available|unknown revision/i.test(l)) ?? lines[0] ?? msg;
}

function goBinary(): string {
    const go = which("go", ["/usr/local/go/bin", "/usr/lib/go/bin"]);
    if (!go) {
        throw new Error("the Go toolchain (go) is needed to build MinIO and mc; install Go (apt-get install golang-go) and retry");
    }
    return go;
}

interface GoBuild {
    /** Module path, e.g. github.com/minio/minio; its root package is the command. */
    module: string;
    /** Release tag (from the pinned image). */
    tag: string;
    /** Name of the produced binary. */
    binary: string;
    /** Package whose Version/ReleaseTag/CommitID variables the upstream release build sets. */
    versionPackage: string;
    /** Whether the upstream build sets ShortCommitID too. */
    shortCommitId: boolean;
}

export interface GoBuildResult extends InstallTiming {
    path: string;
    moduleVersion: string;
}

async function buildGoRelease(b: GoBuild): Promise<GoBuildResult> {
    const started = Date.now();
    const dir = ensureDir(path.join(cacheDir, b.binary, b.tag));
    const bin = path.join(dir, b.binary);
    const stampFile = path.join(dir, ".e2e-installed");
    const stamp = readStamp(stampFile);
    if (stamp && isExecutable(bin)) {
        return { path: bin, moduleVersion: stamp, cached: true, elapsedMs: Date.now() - started };
    }
    const go = goBinary();
    const mod = await resolveMinioModule(go, b.module, b.tag);
    const commit = mod.commit;
    const p = b.versionPackage;
    // The same version variables the upstream release build stamps, so `--version` names the release.
    const ldflags = [
        "-s",
        "-w",
        `-X ${p}.Version=${releaseTagTime(b.tag)}`,
        `-X ${p}.ReleaseTag=${b.tag}`,
        `-X ${p}.CommitID=${commit}`,
        ...(b.shortCommitId ? [`-X ${p}.ShortCommitID=${commit.slice(0, 12)}`] : []),
        `-X ${p}.CopyrightYear=${b.tag.slice(8, 12)}`,
    ].join(" ");
    log(`building ${b.module}@${mod.version} (${b.tag}) with ${go}; cold builds take several minutes`);
    const staging = fs.mkdtempSync(path.join(dir, ".build-"));
    try {
        await run(go, ["install", "-trimpath", "-ldflags", ldflags, `${b.module}@${mod.version}`], {
            cwd: os.tmpdir(),
            env: { ...mod.env, GOBIN: staging, CGO_ENABLED: "0", GO111MODULE: "on" },
            timeoutMs: 45 * 60_000,
        });
        fs.renameSync(path.join(staging, b.binary), bin);
    } finally {
        fs.rmSync(staging, { recursive: true, force: true });
    }
    fs.writeFileSync(stampFile, `${mod.version}\n`);
    const elapsedMs = Date.now() - started;
    log(`built ${b.binary} ${b.tag} in ${(elapsedMs / 1000).toFixed(0)} s -> ${bin}`);
    return { path: bin, moduleVersion: mod.version, cached: false, elapsedMs };
}

export interface MinioInstall {
    /** The MinIO server binary. */
    minio: string;
    /** The MinIO client binary; its directory (`mcDir`) goes on PATH for create-bucket.sh. */
    mc: string;
    mcDir: string;
    serverTag: string;
    clientTag: string;
    serverModuleVersion: string;
    clientModuleVersion: string;
    server: InstallTiming;
    client: InstallTiming;
}

/** Builds (once) the MinIO server and client at the releases of the pinned images. */
export async function installMinio(): Promise<MinioInstall> {
    const serverTag = imageTag(minioImage);
    const clientTag = imageTag(minioClientImage);
    // One after the other: each build alone keeps the machine's two cores busy.
    const server = await buildGoRelease({
        module: "github.com/minio/minio",
        tag: serverTag,
        binary: "minio",
        versionPackage: "github.com/minio/minio/cmd",
        shortCommitId: true,
    });
    const client = await buildGoRelease({
        module: "github.com/minio/mc",
        tag: clientTag,
        binary: "mc",
        versionPackage: "github.com/minio/mc/cmd",
        shortCommitId: true,
    });
    return {
        minio: server.path,
        mc: client.path,
        mcDir: path.dirname(client.path),
        serverTag,
        clientTag,
        serverModuleVersion: server.moduleVersion,
        clientModuleVersion: client.moduleVersion,
        server: { cached: server.cached, elapsedMs: server.elapsedMs },
        client: { cached: client.cached, elapsedMs: client.elapsedMs },
    };
}

// ---------------------------------------------------------------------------------------------------
// Java, Maven, Trino.
// ---------------------------------------------------------------------------------------------------

function javaMajor(home: string): number | undefined {
    const release = readStamp(path.join(home, "release"));
    const m = release ? /JAVA_VERSION="(\d+)/.exec(release) : null;
    return m ? Number(m[1]) : undefined;
}

/**
 * A JDK home of at least `minMajor` (Trino 476 needs 24): `E2E_JAVA_HOME`, else `JAVA_HOME`, else the
 * newest JDK under /usr/lib/jvm.
 */
export function javaHome(minMajor = 24): string {
    const candidates: string[] = [];
    for (const v of [process.env.E2E_JAVA_HOME, process.env.JAVA_HOME]) {
        if (v) {
            candidates.push(v);
        }
    }
    const jvmDir = "/usr/lib/jvm";
    if (fs.existsSync(jvmDir)) {
        const found = fs
            .readdirSync(jvmDir)
            .map((d) => path.join(jvmDir, d))
            .filter((d) => isExecutable(path.join(d, "bin", "java")))
            .sort((a, b) => (javaMajor(b) ?? 0) - (javaMajor(a) ?? 0));
        candidates.push(...found);
    }
    for (const c of candidates) {
        const major = javaMajor(c);
        if (major !== undefined && major >= minMajor && isExecutable(path.join(c, "bin", "java"))) {
            return c;
        }
    }
    throw new Error(
        `no JDK >= ${minMajor} found (looked at E2E_JAVA_HOME, JAVA_HOME, /usr/lib/jvm/*); Trino ${trinoVersion} needs one. ` +
            `Set E2E_JAVA_HOME to a JDK ${minMajor}+ home.`,
    );
}

/** Pinned so the harness does not depend on whatever plugin version the local Maven defaults to. */
const dependencyPlugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1";

/** Runs one maven-dependency-plugin goal (no project needed) with the default repositories. */
export async function mvnDependency(goal: "copy" | "unpack", artifact: string, outputDirectory: string): Promise<void> {
    const mvn = which("mvn");
    if (!mvn) {
        throw new Error("Maven (mvn) is needed to fetch Trino and the MySQL JDBC driver; apt-get install -y maven");
    }
    ensureDir(outputDirectory);
    // Outside a project the plugin keeps "already unpacked" markers under ./target: a fresh working
    // directory per call keeps an old marker from silently skipping the unpack.
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-mvn-"));
    try {
        await run(mvn, ["-B", "-q", `${dependencyPlugin}:${goal}`, `-Dartifact=${artifact}`, `-DoutputDirectory=${outputDirectory}`], {
            cwd,
            timeoutMs: 30 * 60_000,
        });
    } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
    }
}

/**
 * The MySQL JDBC driver version pinned in flink-sql/runner/pom.xml. That pom is written by the Flink
 * part of the project; while it may still be appearing (concurrent work), wait up to
 * `E2E_POM_WAIT_SECONDS` (default 0: fail at once with the reader's error).
 */
export async function pinnedMysqlConnectorVersion(): Promise<string> {
    const waitSeconds = Number(process.env.E2E_POM_WAIT_SECONDS ?? "0");
    if (!(waitSeconds > 0)) {
        return mysqlConnectorVersion();
    }
    return waitFor(() => mysqlConnectorVersion(), waitSeconds * 1000, `mysql-connector-j.version in ${path.join(repoRoot, "flink-sql/runner/pom.xml")}`, {
        intervalMs: 5000,
    });
}

export interface TrinoInstall extends InstallTiming {
    /** The server's install directory (bin/, lib/, plugin/). */
    home: string;
    /** `bin/launcher`. */
    launcher: string;
    version: string;
    /** The JDBC driver copied into plugin/iceberg, as the Trino image does. */
    mysqlConnectorJar: string;
    mysqlConnectorVersion: string;
}

/**
 * Trino server (trino-server-core tarball) plus the Iceberg plugin zip from Maven Central, unpacked
 * into `plugin/iceberg/`, plus mysql-connector-j in that plugin directory. The Iceberg plugin zip
 * carries Trino's native S3 filesystem (trino-filesystem-s3 and the AWS SDK), so no other plugin is
 * needed for Iceberg on S3; core ships only exchange-filesystem.
 */
export async function installTrino(): Promise<TrinoInstall> {
    const started = Date.now();
    const version = trinoVersion;
    const root = ensureDir(path.join(cacheDir, "trino", version));
    const home = path.join(root, "server");
    const baseStamp = path.join(home, ".e2e-installed");
    let cached = true;

    if (readStamp(baseStamp) !== version) {
        cached = false;
        log(`fetching trino-server-core ${version} and the Iceberg plugin with Maven`);
        fs.rmSync(home, { recursive: true, force: true });
        const staging = fs.mkdtempSync(path.join(root, ".staging-"));
        try {
            const dl = ensureDir(path.join(staging, "download"));
            await mvnDependency("copy", `io.trino:trino-server-core:${version}:tar.gz`, dl);
            await run("tar", ["-xzf", path.join(dl, `trino-server-core-${version}.tar.gz`), "-C", staging]);
            const server = path.join(staging, `trino-server-core-${version}`);
            const pluginDir = ensureDir(path.join(server, "plugin"));
            await mvnDependency("unpack", `io.trino:trino-iceberg:${version}:zip`, pluginDir);
            // The zip's single top directory is trino-iceberg-<version>; the image calls it iceberg.
            fs.renameSync(path.join(pluginDir, `trino-iceberg-${version}`), path.join(pluginDir, "iceberg"));
            fs.writeFileSync(path.join(server, ".e2e-installed"), `${version}\n`);
            try {
                fs.renameSync(server, home);
            } catch (e) {
                // A parallel run may have finished the same install first; theirs is as good.
                if (readStamp(baseStamp) !== version) {
                    throw e;
                }
            }
        } finally {
            fs.rmSync(staging, { recursive: true, force: true });
        }
    }

    const icebergDir = path.join(home, "plugin", "iceberg");
    const connectorVersion = await pinnedMysqlConnectorVersion();
    const jarName = `mysql-connector-j-${connectorVersion}.jar`;
    const jar = path.join(icebergDir, jarName);
    if (!fs.existsSync(jar)) {
        cached = false;
        log(`adding ${jarName} to ${icebergDir}`);
        for (const old of fs.readdirSync(icebergDir).filter((f) => /^mysql-connector-j-.*\.jar$/.test(f))) {
            fs.rmSync(path.join(icebergDir, old));
        }
        const staging = fs.mkdtempSync(path.join(root, ".jar-"));
        try {
            await mvnDependency("copy", `com.mysql:mysql-connector-j:${connectorVersion}`, staging);
            fs.renameSync(path.join(staging, jarName), jar);
        } finally {
            fs.rmSync(staging, { recursive: true, force: true });
        }
    }
    const launcher = path.join(home, "bin", "launcher");
    if (!isExecutable(launcher)) {
        throw new Error(`${launcher} is missing or not executable; remove ${root} and retry`);
    }
    const elapsedMs = Date.now() - started;
    if (!cached) {
        log(`Trino ${version} ready in ${(elapsedMs / 1000).toFixed(0)} s -> ${home}`);
    }
    return { home, launcher, version, mysqlConnectorJar: jar, mysqlConnectorVersion: connectorVersion, cached, elapsedMs };
}

// ---------------------------------------------------------------------------------------------------
// MariaDB (the MySQL-family server Debian packages), from apt when missing.
// ---------------------------------------------------------------------------------------------------

export interface MariaDbInstall extends InstallTiming {
    mariadbd: string;
    installDb: string;
    /** The command-line client; 02-users.sh calls it as `mysql`, which must be on PATH too. */
    client: string;
    version: string;
}

function findMariaDb(): { mariadbd?: string; installDb?: string; client?: string; mysql?: string } {
    return {
        mariadbd: which("mariadbd") ?? which("mysqld"),
        installDb: which("mariadb-install-db") ?? which("mysql_install_db"),
        client: which("mariadb") ?? which("mysql"),
        mysql: which("mysql"),
    };
}

/** Finds MariaDB, installing Debian's mariadb-server and mariadb-client non-interactively if missing. */
export async function installMariaDb(): Promise<MariaDbInstall> {
    const started = Date.now();
    let found = findMariaDb();
    let cached = true;
    if (!found.mariadbd || !found.installDb || !found.client || !found.mysql) {
        cached = false;
        if (process.getuid?.() !== 0) {
            throw new Error("MariaDB is not installed and this is not root: apt-get install -y mariadb-server mariadb-client");
        }
        const env = { DEBIAN_FRONTEND: "noninteractive" };
        const install = () =>
            run("apt-get", ["install", "-y", "--no-install-recommends", "-o", "Dpkg::Options::=--force-confold", "mariadb-server", "mariadb-client"], {
                env,
                timeoutMs: 20 * 60_000,
            });
        log("installing mariadb-server and mariadb-client with apt-get");
        try {
            await install();
        } catch {
            await run("apt-get", ["update"], { env, timeoutMs: 10 * 60_000 });
            await install();
        }
        found = findMariaDb();
        if (!found.mariadbd || !found.installDb || !found.client || !found.mysql) {
            throw new Error(`apt-get installed MariaDB but these are still missing: ${JSON.stringify(found)}`);
        }
    }
    const { stdout } = await run(found.mariadbd, ["--version"]);
    return {
        mariadbd: found.mariadbd,
        installDb: found.installDb,
        client: found.client,
        version: stdout.trim(),
        cached,
        elapsedMs: Date.now() - started,
    };
}

// ---------------------------------------------------------------------------------------------------
// PyIceberg, the second reader of the table (verify/pyiceberg), in its own virtualenv.
// ---------------------------------------------------------------------------------------------------

export interface PyIcebergReaderInstall extends InstallTiming {
    venv: string;
    /** The virtualenv's interpreter, which runs verify/pyiceberg/read_table.py. */
    python: string;
}

/**
 * A virtualenv with verify/pyiceberg/requirements.txt (every package pinned), cached under the
 * install cache and rebuilt only when that file changes, as the Superset one is.
 */
export async function installPyIcebergReader(): Promise<PyIcebergReaderInstall> {
    const started = Date.now();
    const requirements = path.join(repoRoot, "verify", "pyiceberg", "requirements.txt");
    const stamp = createHash("sha256").update(fs.readFileSync(requirements)).digest("hex").slice(0, 16);
    const venv = path.join(cacheDir, "pyiceberg-venv");
    const python = path.join(venv, "bin", "python");
    const stampFile = path.join(venv, ".lakehouse-stamp");
    if (readStamp(stampFile) === stamp && isExecutable(python)) {
        return { venv, python, cached: true, elapsedMs: Date.now() - started };
    }
    ensureDir(cacheDir);
    fs.rmSync(venv, { recursive: true, force: true });
    log(`creating the PyIceberg virtualenv from ${path.relative(repoRoot, requirements)} (cold: under a minute)`);
    await run("python3", ["-m", "venv", venv], { timeoutMs: 5 * 60_000 });
    await run(path.join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "-r", requirements], { timeoutMs: 20 * 60_000 });
    // Written last: an interrupted install leaves no stamp and is redone on the next run.
    fs.writeFileSync(stampFile, stamp);
    const elapsedMs = Date.now() - started;
    log(`PyIceberg virtualenv ready in ${(elapsedMs / 1000).toFixed(0)} s -> ${venv}`);
    return { venv, python, cached: false, elapsedMs };
}
