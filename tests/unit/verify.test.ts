import { binlogProblems, cdcGrantProblems } from "../../verify/mysqlChecks";
import { percentile } from "../../verify/freshness";
import { canonical, decimal, diffRows, timestamp } from "../../verify/rows";

const mysqlRow = { product_id: 3, product_sku: "PRD-0003", product_name: "Product 3", total_qty: "17", total_revenue: "1234.50", sale_count: 4, last_sale_ts: "2026-11-24 03:55:05.120" };
const trinoRow = { product_id: 3, product_sku: "PRD-0003", product_name: "Product 3", total_qty: 17, total_revenue: "1234.50", sale_count: 4, last_sale_ts: "2026-11-24 03:55:05.120000" };

test("MySQL's and Trino's renderings of the same row are equal once canonical", () => {
    expect(canonical(mysqlRow)).toEqual(canonical(trinoRow));
    expect(diffRows([canonical(mysqlRow)], [canonical(trinoRow)])).toEqual([]);
});

test("decimals compare exactly, never through floating point", () => {
    expect(decimal("1234.5")).toBe("1234.50");
    expect(decimal("00012")).toBe("12.00");
    expect(decimal("90071992547409931.07")).toBe("90071992547409931.07");
    expect(() => decimal("1.005")).toThrow(/more than 2/);
    expect(decimal("1.500")).toBe("1.50");
});

test("timestamps compare to the millisecond", () => {
    expect(timestamp("2026-11-24T03:55:05.1")).toBe("2026-11-24 03:55:05.100");
    expect(timestamp("2026-11-24 03:55:05")).toBe("2026-11-24 03:55:05.000");
});

test("every kind of difference is reported", () => {
    const a = canonical(mysqlRow);
    const renamed = { ...a, product_name: "Renamed" };
    const other = { ...a, product_id: "4" };
    expect(diffRows([a], [renamed])).toEqual(["product 3: product_name expected Product 3 got Renamed"]);
    expect(diffRows([a], [])).toEqual(["product 3: missing in the lake"]);
    expect(diffRows([], [a])).toEqual(["product 3: in the lake but not in MySQL"]);
    expect(diffRows([a, other], [a, a, other])[0]).toMatch(/duplicate/);
});

test("binlog settings: what CDC needs", () => {
    const good = { log_bin: "ON", binlog_format: "ROW", binlog_row_image: "FULL", gtid_mode: "ON", enforce_gtid_consistency: "ON" };
    expect(binlogProblems(good)).toEqual([]);
    expect(binlogProblems({ ...good, binlog_format: "MIXED" })).toEqual(["binlog_format is MIXED, CDC needs ROW"]);
    expect(binlogProblems({ log_bin: "ON", binlog_format: "ROW", binlog_row_image: "FULL" }, false)).toEqual([]);
});

test("CDC grants: exactly least privilege", () => {
    const granted = ["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `flink_cdc`@`%`", "GRANT SELECT ON `appdb`.* TO `flink_cdc`@`%`"];
    expect(cdcGrantProblems(granted)).toEqual([]);
    expect(cdcGrantProblems([granted[1]])).toEqual(["lacks REPLICATION SLAVE on *.*", "lacks REPLICATION CLIENT on *.*"]);
    expect(cdcGrantProblems([...granted, "GRANT RELOAD ON *.* TO `flink_cdc`@`%`"])).toEqual(["has RELOAD, beyond least privilege"]);
    // MariaDB's name for REPLICATION CLIENT
    expect(cdcGrantProblems(["GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `flink_cdc`@`%`", granted[1]])).toEqual([]);
});

test("percentiles by nearest rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([], 50)).toThrow();
});

test("the job's latest failure is its deepest cause, read from the REST exception history", async () => {
    const http = await import("http");
    const trace = [
        "org.apache.flink.runtime.JobException: Recovery is suppressed",
        "\tat org.apache.flink.runtime.Foo.bar(Foo.java:1)",
        "Caused by: java.lang.RuntimeException: One or more fetchers have encountered exception",
        "Caused by: java.lang.IllegalStateException: The connector is trying to read binlog starting at x, but this is no longer available on the server.",
        "\t... 3 more",
    ].join("\n");
    const server = http.createServer((req, res) => {
        const body = req.url?.startsWith("/jobs/j1/") ? { exceptionHistory: { entries: [{ exceptionName: "JobException", stacktrace: trace, timestamp: 42 }] } } : { exceptionHistory: { entries: [] } };
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
        const { latestFailure } = await import("../../verify/flink");
        expect(await latestFailure(url, "j1")).toEqual({ at: 42, cause: "java.lang.IllegalStateException: The connector is trying to read binlog starting at x, but this is no longer available on the server." });
        expect(await latestFailure(url, "j2")).toBeUndefined();
    } finally {
        server.close();
    }
});
