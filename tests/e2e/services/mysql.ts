import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as mysql from "mysql2/promise";
import { defaults } from "../../../components/config";
import {
    BinlogSettings,
    databases,
    initDir,
    initScripts,
    rootPasswordEnv,
    serverArgs,
    UserRole,
    userNameEnv,
    users,
} from "../../../components/mysqlServer";
import { installMariaDb, MariaDbInstall } from "../harness/install";
import { freePort, RunDir } from "../harness/paths";
import { Proc, run, start, waitFor } from "../harness/proc";

/**
 * The program's MySQL server, run locally as MariaDB (the MySQL-family server Debian ships) on a
 * free loopback port with a fresh data dir: the program's own server flags (translated where MariaDB
 * differs) and its own init scripts, run as files, the way the MySQL image runs them.
 */

export interface MySqlOptions {
    run: RunDir;
    /** Defaults: the program's (components/config.ts). */
    binlog?: Partial<BinlogSettings>;
    /** Extra server flags, appended after the program's. */
    extraArgs?: string[];
}

export interface MySqlUser {
    name: string;
    password: string;
}

export interface MySqlService {
    host: string;
    port: number;
    /** Unix socket (for local admin tools). */
    socket: string;
    rootPassword: string;
    /** Every role's user name and (random) password. */
    users: Record<UserRole, MySqlUser>;
    databases: typeof databases;
    /** The flags the server runs with (MariaDB form). */
    args: string[];
    /** `mariadbd --version`. */
    version: string;
    proc: Proc;
    /** `jdbc:mysql://127.0.0.1:<port>/<database>` for Connector/J users (Trino, Flink). */
    jdbcUrl(database: string): string;
    /** A mysql2 connection over TCP; root unless a role is given. */
    connect(role?: UserRole, database?: string): Promise<mysql.Connection>;
    /**
     * Stops the server (SIGTERM, as a pod's termination does; SIGKILL with `crash`), waits `downMs`,
     * starts it again on the same port and data, and resolves once it accepts connections.
     */
    restart(o?: { crash?: boolean; downMs?: number }): Promise<void>;
    stop(): Promise<void>;
}

/** Flags of the program's `serverArgs` that MariaDB does not take, with the reason. */
const notForMariaDb: Record<string, string> = {
    // MariaDB always writes its own GTIDs (domain-server-sequence) into the binlog; there is no
    // gtid_mode switch and no enforce_gtid_consistency (an unknown option stops mariadbd). Its GTIDs
    // are not MySQL's, and Flink CDC's mysql connector does not understand them (flink-cdc #2929),
    // so the harness's CDC reads the binlog by file/position from this single server.
    "--gtid-mode": "MariaDB GTIDs are always on and differ from MySQL's",
    "--enforce-gtid-consistency": "no MariaDB equivalent",
};

/**
 * The program's MySQL flags as MariaDB flags. Kept as is: server-id, log-bin, ROW format, FULL row
 * image, binlog expiry in seconds (MariaDB >= 10.6), character set and collation.
 */
export function mariadbArgs(mysqlArgs: string[]): { args: string[]; dropped: string[] } {
    const args: string[] = [];
    const dropped: string[] = [];
    for (const a of mysqlArgs) {
        const name = a.split("=")[0];
        if (name in notForMariaDb) {
            dropped.push(a);
        } else {
            args.push(a);
        }
    }
    return { args, dropped };
}

const secret = () => randomBytes(18).toString("hex");
const log = (msg: string) => process.stderr.write(`[e2e:mysql] ${msg}\n`);

function isRoot(): boolean {
    return process.getuid?.() === 0;
}

export async function startMySql(o: MySqlOptions): Promise<MySqlService> {
    const started = Date.now();
    const maria: MariaDbInstall = await installMariaDb();
    const base = o.run.dataDir("mysql");
    const datadir = path.join(base, "data");
    const socket = path.join(base, "mysqld.sock");
    const port = await freePort();
    const host = "127.0.0.1";
    const logFile = path.join(o.run.logs, "mysql-init.log");

    // mariadbd refuses to run as root unless told to.
    const userArg = isRoot() ? ["--user=root"] : [];
    await run(
        maria.installDb,
        ["--no-defaults", `--datadir=${datadir}`, "--auth-root-authentication-method=normal", "--skip-test-db", ...userArg],
        { logFile },
    );

    const binlog: BinlogSettings = {
        serverId: defaults.mysql.serverId,
        binlogExpireSeconds: defaults.mysql.binlogExpireSeconds,
        ...o.binlog,
    };
    const translated = mariadbArgs(serverArgs(binlog));
    log(`program flags not given to MariaDB: ${translated.dropped.join(" ")}`);
    const args = [
        "--no-defaults",
        `--datadir=${datadir}`,
        `--socket=${socket}`,
        `--pid-file=${path.join(base, "mysqld.pid")}`,
        `--port=${port}`,
        `--bind-address=${host}`,
        ...userArg,
        ...translated.args,
        ...(o.extraArgs ?? []),
    ];
    const launch = () => start({ name: "mysql", cmd: maria.mariadbd, args, logDir: o.run.logs, stopGraceMs: 30_000 });
    let proc = launch();

    const rootPassword = secret();
    const roleUsers = Object.fromEntries(
        (Object.keys(users) as UserRole[]).map((r) => [r, { name: users[r].name, password: secret() }]),
    ) as Record<UserRole, MySqlUser>;

    const adminSocketAs = (password: string) => mysql.createConnection({ socketPath: socket, user: "root", password });
    const adminSocket = () => adminSocketAs("");
    const conn = await waitFor(() => adminSocket(), 60_000, "MariaDB accepting connections", { proc, intervalMs: 200 });
    try {
        // As the MySQL image leaves it: root@localhost and root@'%' with the root password, no other
        // root accounts, no anonymous ones.
        const [rows] = await conn.query<mysql.RowDataPacket[]>("SELECT User, Host FROM mysql.user WHERE User IN ('root', '')");
        for (const r of rows) {
            if (!(r.User === "root" && r.Host === "localhost")) {
                await conn.query("DROP USER ?@?", [r.User, r.Host]);
            }
        }
        await conn.query("CREATE USER 'root'@'%' IDENTIFIED BY ?", [rootPassword]);
        await conn.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION");
        await conn.query("ALTER USER 'root'@'localhost' IDENTIFIED BY ?", [rootPassword]);
        await conn.query("FLUSH PRIVILEGES");
    } finally {
        await conn.end();
    }

    // The program's init scripts, in the image's order, as files: *.sql through the client, *.sh with bash.
    const env: NodeJS.ProcessEnv = {
        MYSQL_HOST: host,
        MYSQL_TCP_PORT: String(port),
        [rootPasswordEnv]: rootPassword,
        ...userNameEnv(),
    };
    for (const role of Object.keys(users) as UserRole[]) {
        env[users[role].passwordEnv] = roleUsers[role].password;
    }
    for (const file of Object.keys(initScripts())) {
        const full = path.join(initDir, file);
        if (file.endsWith(".sql")) {
            await run(maria.client, ["--protocol=TCP", "-uroot"], {
                env: { ...env, MYSQL_PWD: rootPassword },
                input: fs.readFileSync(full),
                logFile,
            });
        } else if (file.endsWith(".sh")) {
            await run("bash", [full], { env, logFile });
        } else {
            log(`ignoring ${file} (the image runs only *.sql, *.sql.gz, *.sh)`);
        }
    }

    const service: MySqlService = {
        host,
        port,
        socket,
        rootPassword,
        users: roleUsers,
        databases,
        args,
        version: maria.version,
        get proc() {
            return proc;
        },
        jdbcUrl: (database: string) => `jdbc:mysql://${host}:${port}/${database}`,
        connect: (role?: UserRole, database?: string) =>
            mysql.createConnection({
                host,
                port,
                user: role ? roleUsers[role].name : "root",
                password: role ? roleUsers[role].password : rootPassword,
                database,
            }),
        restart: async ({ crash = false, downMs = 0 } = {}) => {
            if (crash) {
                process.kill(proc.pid, "SIGKILL");
                await proc.exited;
            }
            await proc.stop();
            await new Promise((r) => setTimeout(r, downMs));
            proc = launch();
            const c = await waitFor(() => adminSocketAs(rootPassword), 120_000, "MariaDB accepting connections again", { proc, intervalMs: 200 });
            await c.end();
        },
        stop: () => proc.stop(),
    };
    log(`MariaDB ready on ${host}:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return service;
}

export interface MySqlChecks {
    variables: Record<string, string>;
    cdcGrants: string[];
    /** SHOW MASTER STATUS as the CDC user: proves its binlog privileges work, not just exist. */
    cdcBinlogStatus: { file: string; position: number };
}

/**
 * Checks what CDC needs: binlog on, ROW format, FULL row images, and the CDC user's grants (read on
 * the application database, replication on *.*). Throws with the observed values on a mismatch.
 */
export async function verifyMySql(s: MySqlService): Promise<MySqlChecks> {
    const root = await s.connect();
    let variables: Record<string, string>;
    let cdcGrants: string[];
    try {
        const [vars] = await root.query<mysql.RowDataPacket[]>(
            "SHOW VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image', 'server_id', " +
                "'binlog_expire_logs_seconds', 'character_set_server', 'collation_server')",
        );
        variables = Object.fromEntries(vars.map((r) => [String(r.Variable_name), String(r.Value)]));
        const [grants] = await root.query<mysql.RowDataPacket[]>("SHOW GRANTS FOR ?@'%'", [s.users.cdc.name]);
        // Without the password hash MariaDB prints inside the grant.
        cdcGrants = grants.map((r) => String(Object.values(r)[0]).replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ""));
    } finally {
        await root.end();
    }
    const expect: Record<string, string> = { log_bin: "ON", binlog_format: "ROW", binlog_row_image: "FULL" };
    for (const [k, v] of Object.entries(expect)) {
        if (variables[k] !== v) {
            throw new Error(`MariaDB ${k}=${variables[k]}, expected ${v} (all: ${JSON.stringify(variables)})`);
        }
    }
    const all = cdcGrants.join("\n");
    // MariaDB >= 10.5 shows REPLICATION CLIENT under its new name, BINLOG MONITOR.
    const needed: [string, RegExp][] = [
        ["SELECT on the application database", new RegExp(`GRANT SELECT ON \`${databases.app}\`\\.\\*`)],
        ["REPLICATION SLAVE on *.*", /GRANT .*REPLICATION SLAVE.* ON \*\.\*/],
        ["REPLICATION CLIENT (BINLOG MONITOR) on *.*", /GRANT .*(REPLICATION CLIENT|BINLOG MONITOR).* ON \*\.\*/],
    ];
    for (const [what, re] of needed) {
        if (!re.test(all)) {
            throw new Error(`CDC user ${s.users.cdc.name} lacks ${what}; grants:\n${all}`);
        }
    }
    const cdc = await s.connect("cdc");
    try {
        const [status] = await cdc.query<mysql.RowDataPacket[]>("SHOW MASTER STATUS");
        if (status.length !== 1) {
            throw new Error("SHOW MASTER STATUS returned no row: binary logging is off");
        }
        return {
            variables,
            cdcGrants,
            cdcBinlogStatus: { file: String(status[0].File), position: Number(status[0].Position) },
        };
    } finally {
        await cdc.end();
    }
}
