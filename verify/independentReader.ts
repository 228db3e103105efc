import { execFile } from "child_process";
import * as path from "path";
import { canonical, SalesRow } from "./rows";

/**
 * A second engine reading `demo.sales_by_product`: PyIceberg through verify/pyiceberg/read_table.py,
 * with its own catalog client (SQLAlchemy over the JDBC catalog's MySQL tables), its own S3 client
 * (pyarrow) and its own Parquet and delete-file handling, so an answer that agrees with Trino's does
 * not share Trino's code path.
 */

export const readTableScript = path.join(__dirname, "pyiceberg", "read_table.py");

export interface PyIcebergReaderSettings {
    /** The interpreter of a virtualenv with verify/pyiceberg/requirements.txt. */
    python: string;
    /** The name the writer registered its catalog under (`icebergCatalogName()`): the rows' key. */
    catalogName: string;
    /** The job's `jdbc:mysql://host:port/<catalog database>`. */
    jdbcUrl: string;
    user: string;
    password: string;
    s3: { endpoint: string; region: string; pathStyle: boolean; accessKey: string; secretKey: string };
}

export interface ReaderVersions {
    pyiceberg: string;
    pyarrow: string;
    sqlalchemy: string;
    pymysql: string;
}

/** Live files of a snapshot by content, as PyIceberg reads them from its manifests. */
export interface ReaderFiles {
    data: number;
    position_deletes: number;
    equality_deletes: number;
}

/** One manifest of a snapshot: which deletes can still apply is a matter of sequence numbers. */
export interface ReaderManifest {
    content: "data" | "deletes";
    sequence_number: number;
    min_sequence_number: number;
    live: { content: keyof ReaderFiles; sequence_number: number }[];
}

/** Snapshot ids are 64-bit: they stay strings end to end, never JSON numbers. */
export type ReaderAnswer =
    | { ok: true; snapshotId: string; files: ReaderFiles; manifests: ReaderManifest[]; rows: SalesRow[]; versions: ReaderVersions }
    | {
          ok: false;
          stage: "load" | "files" | "scan";
          errorType: string;
          error: string;
          snapshotId?: string;
          files?: ReaderFiles;
          manifests?: ReaderManifest[];
          versions: ReaderVersions;
      };

interface ScriptOutput {
    ok: boolean;
    snapshot_id?: string;
    files?: ReaderFiles;
    manifests?: ReaderManifest[];
    rows?: Record<string, unknown>[];
    stage?: "load" | "files" | "scan";
    error_type?: string;
    error?: string;
    versions: ReaderVersions;
}

/**
 * Reads the table (the current snapshot, or `snapshotId`) with PyIceberg. A failure of the reader
 * itself (such as an unsupported delete file) comes back as `ok: false` with PyIceberg's message,
 * for the caller to assert on; only a script that cannot run at all rejects.
 */
export function readWithPyIceberg(s: PyIcebergReaderSettings, o: { snapshotId?: string; table?: string; timeoutMs?: number } = {}): Promise<ReaderAnswer> {
    const args = [readTableScript, "--table", o.table ?? "demo.sales_by_product", ...(o.snapshotId ? ["--snapshot-id", o.snapshotId] : [])];
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        // The Flink job's variable names (pipelineEnv), so one set of settings describes both writers and readers.
        ICEBERG_CATALOG_NAME: s.catalogName,
        ICEBERG_JDBC_URL: s.jdbcUrl,
        ICEBERG_JDBC_USER: s.user,
        ICEBERG_JDBC_PASSWORD: s.password,
        S3_ENDPOINT: s.s3.endpoint,
        S3_REGION: s.s3.region,
        S3_PATH_STYLE_ACCESS: String(s.s3.pathStyle),
        AWS_ACCESS_KEY_ID: s.s3.accessKey,
        AWS_SECRET_ACCESS_KEY: s.s3.secretKey,
    };
    return new Promise((resolve, reject) => {
        execFile(s.python, args, { env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            const line = stdout.trim().split("\n").pop() ?? "";
            let out: ScriptOutput;
            try {
                out = JSON.parse(line) as ScriptOutput;
            } catch {
                reject(new Error(`read_table.py printed no JSON answer${err ? ` (${err.message.split("\n")[0]})` : ""}:\n${stdout}${stderr}`.trim()));
                return;
            }
            if (out.ok) {
                if (!out.files || !out.manifests) {
                    reject(new Error(`read_table.py answered ok without its files and manifests: ${line.slice(0, 500)}`));
                    return;
                }
                resolve({
                    ok: true,
                    snapshotId: String(out.snapshot_id),
                    files: out.files,
                    manifests: out.manifests,
                    rows: (out.rows ?? []).map((r) => canonical(r)),
                    versions: out.versions,
                });
            } else {
                resolve({
                    ok: false,
                    stage: out.stage ?? "load",
                    errorType: out.error_type ?? "",
                    error: out.error ?? "",
                    snapshotId: out.snapshot_id,
                    files: out.files,
                    manifests: out.manifests,
                    versions: out.versions,
                });
            }
        });
    });
}
