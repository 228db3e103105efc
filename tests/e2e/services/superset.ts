import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaults } from "../../../components/config";
import { trinoDatabaseName } from "../../../components/superset";
import { repoRoot } from "../../../components/versions";
import { cacheDir, ensureDir, freePort, RunDir } from "../harness/paths";
import { Proc, run, start, waitForHttp } from "../harness/proc";
import { MySqlService } from "./mysql";

/**
 * Superset as the program deploys it: the version and drivers of `superset/requirements.txt`, the
 * platform's `superset_config.py`, and `superset/bootstrap.sh` (the init Job's steps), with its
 * metadata in the harness's MySQL-family server and "Trino Iceberg" pointing at the harness's Trino.
 */

const supersetDir = path.join(repoRoot, "superset");
const log = (msg: string) => process.stderr.write(`[e2e:superset] ${msg}\n`);

export interface SupersetInstall {
    venv: string;
    cached: boolean;
    elapsedMs: number;
}

/**
 * A virtualenv with requirements.txt, resolved under constraints.txt (a freeze of a working
 * install: apache-superset's own ranges admit releases it breaks with). Rebuilt when either changes.
 */
export async function installSuperset(): Promise<SupersetInstall> {
    const started = Date.now();
    const inputs = ["requirements.txt", "constraints.txt"].map((f) => fs.readFileSync(path.join(supersetDir, f), "utf8")).join("\0");
    const stamp = createHash("sha256").update(inputs).digest("hex").slice(0, 16);
    const venv = path.join(cacheDir, "superset-venv");
    const stampFile = path.join(venv, ".lakehouse-stamp");
    if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) {
        return { venv, cached: true, elapsedMs: Date.now() - started };
    }
    ensureDir(cacheDir);
    fs.rmSync(venv, { recursive: true, force: true });
    log("creating the Superset virtualenv (cold: about a minute)");
    await run("python3", ["-m", "venv", venv], { timeoutMs: 5 * 60_000 });
    const pip = path.join(venv, "bin", "pip");
    await run(pip, ["install", "--quiet", "--disable-pip-version-check", "-r", path.join(supersetDir, "requirements.txt"), "-c", path.join(supersetDir, "constraints.txt")], {
        timeoutMs: 20 * 60_000,
    });
    fs.writeFileSync(stampFile, stamp);
    return { venv, cached: false, elapsedMs: Date.now() - started };
}

export interface SupersetService {
    url: string;
    adminUser: string;
    adminPassword: string;
    databaseName: string;
    install: SupersetInstall;
    proc: Proc;
    /** Runs bootstrap.sh again (it is idempotent). */
    bootstrap(): Promise<void>;
    stop(): Promise<void>;
}

export interface SupersetOptions {
    run: RunDir;
    mysql: MySqlService;
    /** SQLAlchemy URI of Trino, as the Trino component's output gives it. */
    trinoUri: string;
}

export async function startSuperset(o: SupersetOptions): Promise<SupersetService> {
    const install = await installSuperset();
    const home = o.run.dataDir("superset");
    const port = await freePort();
    const adminPassword = randomBytes(12).toString("hex");
    const bin = path.join(install.venv, "bin");
    const env: NodeJS.ProcessEnv = {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        HOME: home,
        SUPERSET_HOME: home,
        SUPERSET_CONFIG_PATH: path.join(supersetDir, "superset_config.py"),
        SUPERSET_ENV: "production",
        SUPERSET_SECRET_KEY: randomBytes(32).toString("hex"),
        SUPERSET_DB_HOST: o.mysql.host,
        SUPERSET_DB_PORT: String(o.mysql.port),
        SUPERSET_DB_NAME: o.mysql.databases.superset,
        SUPERSET_DB_USER: o.mysql.users.superset.name,
        SUPERSET_DB_PASSWORD: o.mysql.users.superset.password,
        SUPERSET_ADMIN_USERNAME: defaults.superset.adminUsername,
        SUPERSET_ADMIN_EMAIL: defaults.superset.adminEmail,
        SUPERSET_ADMIN_PASSWORD: adminPassword,
        TRINO_SQLALCHEMY_URI: o.trinoUri,
        TRINO_DATABASE_NAME: trinoDatabaseName,
    };
    const bootstrap = async () => {
        const t0 = Date.now();
        await run("bash", [path.join(supersetDir, "bootstrap.sh")], { env, logFile: path.join(o.run.logs, "superset-bootstrap.log"), timeoutMs: 10 * 60_000 });
        log(`bootstrap.sh done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    };
    await bootstrap();

    // The image's server: gunicorn with threads; no control socket (it would be written to $HOME).
    const proc = start({
        name: "superset",
        cmd: path.join(bin, "gunicorn"),
        args: ["--bind", `127.0.0.1:${port}`, "--workers", "1", "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--no-control-socket", "superset.app:create_app()"],
        env,
        cwd: home,
        logDir: o.run.logs,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 200, 120_000, { proc });
    log(`Superset ready on ${url}`);
    return {
        url,
        adminUser: defaults.superset.adminUsername,
        adminPassword,
        databaseName: trinoDatabaseName,
        install,
        proc,
        bootstrap,
        stop: () => proc.stop(),
    };
}
