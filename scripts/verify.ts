import { ChildProcess, spawn, spawnSync } from "child_process";
import * as net from "net";
import { pipelineJobName } from "../components/flinkSql";
import { users } from "../components/mysqlServer";
import { verifyStack } from "../verify/stack";
import { pulumiBin, pulumiEnv, stackArg, stackConfig } from "./pulumiCli";

/**
 * `npm run verify [-- --stack NAME]`: checks a deployed stack from this machine. Reads the stack's
 * outputs (with secrets), port-forwards to each Service with kubectl, and runs the same checks as
 * the end-to-end tests: binlog settings and CDC grants, the bucket, the Flink job and its
 * checkpoints, the table in Trino, Superset's "Trino Iceberg", and the lake against the MySQL oracle.
 */

const { stack } = stackArg(process.argv.slice(2));
const cfg = stackConfig(stack);
const forwards: ChildProcess[] = [];

function outputs(): Record<string, any> {
    const r = spawnSync(pulumiBin, ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8", env: pulumiEnv() });
    if (r.status !== 0) throw new Error(`pulumi stack output failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
}

/** `svc.ns.svc.cluster.local:port` (or with a scheme) -> a local port forwarded to that Service. */
async function forward(endpoint: string): Promise<number> {
    const m = /^(?:\w+:\/\/)?([^.]+)\.([^.]+)\.svc\.cluster\.local:(\d+)/.exec(endpoint);
    if (!m) throw new Error(`not an in-cluster endpoint: ${endpoint}`);
    const [, svc, ns, port] = m;
    const local = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
    const args = ["port-forward", "--address", "127.0.0.1", "-n", ns, `svc/${svc}`, `${local}:${port}`];
    if (cfg.kubeContext) args.unshift("--context", cfg.kubeContext);
    const child = spawn("kubectl", args, { stdio: ["ignore", "pipe", "inherit"] });
    forwards.push(child);
    await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("Forwarding from") && resolve());
        child.on("exit", (code) => reject(new Error(`kubectl port-forward svc/${svc} exited with ${code}`)));
    });
    return local;
}

async function main(): Promise<number> {
    const out = outputs();
    const [mysqlPort, s3Port, flinkPort, trinoPort, supersetPort] = await Promise.all(
        [out.mysqlEndpoint, out.s3Endpoint, out.flinkRestEndpoint, out.trinoEndpoint, out.supersetEndpoint].map(forward),
    );
    const results = await verifyStack({
        mysql: { host: "127.0.0.1", port: mysqlPort, user: "root", password: out.credentials.mysqlRootPassword, cdcUser: users.cdc.name, gtid: true },
        s3: { endpoint: `http://127.0.0.1:${s3Port}`, region: out.s3Region, bucket: out.warehouseBucket, accessKey: out.credentials.minioAccessKey, secretKey: out.credentials.minioSecretKey },
        flinkRestUrl: `http://127.0.0.1:${flinkPort}`,
        flinkJobName: pipelineJobName(),
        checkpointIntervalSeconds: cfg.flink.checkpointIntervalSeconds,
        trinoUrl: `http://127.0.0.1:${trinoPort}`,
        superset: { url: `http://127.0.0.1:${supersetPort}`, user: out.supersetAdminUser, password: out.credentials.supersetAdminPassword, database: out.supersetDatabase },
        convergeTimeoutMs: Number(process.env.VERIFY_CONVERGE_SECONDS ?? 5 * cfg.flink.checkpointIntervalSeconds + 60) * 1000,
    });
    for (const r of results) console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.name}: ${r.detail}`);
    const failed = results.filter((r) => !r.ok).length;
    console.log(`${results.length - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
}

main()
    .catch((e) => {
        console.error(`verify: ${(e as Error).message}`);
        return 1;
    })
    .then((code) => {
        forwards.forEach((f) => f.kill());
        process.exit(code);
    });
