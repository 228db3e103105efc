import type { Pool, RowDataPacket } from "mysql2/promise";

/** What CDC needs of the MySQL server: row-based binlog with full images, and the CDC user's grants. */

export async function binlogSettings(pool: Pool): Promise<Record<string, string>> {
    const [rows] = await pool.query<RowDataPacket[]>(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin','binlog_format','binlog_row_image','gtid_mode','enforce_gtid_consistency','server_id')",
    );
    return Object.fromEntries(rows.map((r) => [String(r.Variable_name), String(r.Value)]));
}

/** Problems with the binlog settings; `gtid` false for a server without MySQL GTIDs (MariaDB). */
export function binlogProblems(vars: Record<string, string>, gtid = true): string[] {
    const want: Record<string, string> = { log_bin: "ON", binlog_format: "ROW", binlog_row_image: "FULL" };
    if (gtid) Object.assign(want, { gtid_mode: "ON", enforce_gtid_consistency: "ON" });
    return Object.entries(want)
        .filter(([k, v]) => (vars[k] ?? "").toUpperCase() !== v)
        .map(([k, v]) => `${k} is ${vars[k] ?? "unset"}, CDC needs ${v}`);
}

export async function grantsOf(pool: Pool, user: string): Promise<string[]> {
    const [rows] = await pool.query<RowDataPacket[]>("SHOW GRANTS FOR ?@'%'", [user]);
    return rows.map((r) => String(Object.values(r)[0]));
}

/** Problems with the CDC user's grants: what it lacks, and anything beyond least privilege. */
export function cdcGrantProblems(grants: string[]): string[] {
    const text = grants.join("\n").toUpperCase().replace(/`/g, "");
    const problems: string[] = [];
    if (!/GRANT[^\n]*REPLICATION SLAVE[^\n]*ON \*\.\*/.test(text)) problems.push("lacks REPLICATION SLAVE on *.*");
    // MariaDB calls REPLICATION CLIENT "BINLOG MONITOR" since 10.5.
    if (!/GRANT[^\n]*(REPLICATION CLIENT|BINLOG MONITOR)[^\n]*ON \*\.\*/.test(text)) problems.push("lacks REPLICATION CLIENT on *.*");
    if (!/GRANT SELECT ON APPDB\.\*/.test(text)) problems.push("lacks SELECT on appdb.*");
    for (const extra of ["ALL PRIVILEGES", "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "RELOAD", "LOCK TABLES", "SUPER"]) {
        if (new RegExp(`GRANT[^\\n]*\\b${extra}\\b`).test(text)) problems.push(`has ${extra}, beyond least privilege`);
    }
    return problems;
}
