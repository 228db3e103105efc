import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "./versions";

/**
 * What the MySQL server is, independent of where it runs: its CDC flags, databases, users and
 * init scripts. The `MySql` component and the local proof harness both start a server from this.
 */

export const databases = {
    app: "appdb",
    catalog: "iceberg_catalog",
    superset: "superset",
} as const;

/** Users created by `mysql/initdb/02-users.sh`; each name is passed to it as an environment variable. */
export const users = {
    cdc: { name: "flink_cdc", userEnv: "MYSQL_CDC_USER", passwordEnv: "MYSQL_CDC_PASSWORD" },
    catalog: { name: "iceberg", userEnv: "MYSQL_CATALOG_USER", passwordEnv: "MYSQL_CATALOG_PASSWORD" },
    app: { name: "app", userEnv: "MYSQL_APP_USER", passwordEnv: "MYSQL_APP_PASSWORD" },
    superset: { name: "superset", userEnv: "MYSQL_SUPERSET_USER", passwordEnv: "MYSQL_SUPERSET_PASSWORD" },
} as const;

export type UserRole = keyof typeof users;

export const rootPasswordEnv = "MYSQL_ROOT_PASSWORD";

export interface BinlogSettings {
    /** Unique in the replication topology; CDC readers take ids from ranges that must not include it. */
    serverId: number;
    /** How long binlogs are kept: the longest a stopped Flink job can stay down and still resume. */
    binlogExpireSeconds: number;
}

/**
 * MySQL 8.0's default SQL mode, stated so the server runs with it whatever its configuration, and so
 * the proof harness's MariaDB (whose default is laxer: it stores zero dates) accepts only what
 * production accepts.
 */
export const sqlMode = "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/**
 * The server flags CDC needs: row-based binlog with full row images (Debezium needs before and
 * after images of every column) and GTIDs (so a reader can resume after a failover).
 */
export function serverArgs(s: BinlogSettings): string[] {
    return [
        `--server-id=${s.serverId}`,
        "--log-bin=mysql-bin",
        "--binlog-format=ROW",
        "--binlog-row-image=FULL",
        "--gtid-mode=ON",
        "--enforce-gtid-consistency=ON",
        `--binlog-expire-logs-seconds=${s.binlogExpireSeconds}`,
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        // UTC, so CURRENT_TIMESTAMP defaults and CDC's server-time-zone agree.
        "--default-time-zone=+00:00",
        `--sql-mode=${sqlMode}`,
    ];
}

export const initDir = path.join(repoRoot, "mysql", "initdb");

/** The init scripts in the order the image runs them (file name order), name -> content. */
export function initScripts(): Record<string, string> {
    const scripts: Record<string, string> = {};
    for (const file of fs.readdirSync(initDir).sort()) {
        scripts[file] = fs.readFileSync(path.join(initDir, file), "utf8");
    }
    return scripts;
}

/** Environment for `02-users.sh`: user names as values, passwords as given (secret in the cluster). */
export function userNameEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const u of Object.values(users)) {
        env[u.userEnv] = u.name;
    }
    return env;
}
