import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { pipelineSql } from "../../components/flinkSql";
import { releaseImages, sha256 } from "../../components/release";
import { repoRoot } from "../../components/versions";
import { CommandError, run } from "../e2e/harness/proc";
import { Cluster, startCluster } from "./cluster";
import { Engine, prepareEngine } from "./engine";
import { KubeObject } from "./kube";
import { OperatorStandIn, startOperatorStandIn } from "./operatorStandIn";
import { ensureToolchain } from "./toolchain";
import { Outcome } from "../e2e/harness/outcome";

/**
 * The deploy rehearsal: `npm run up` as the README tells users, with the real Pulumi engine and
 * kubernetes provider, against a real kube-apiserver (kwok as the node). See tests/deploy/README.md.
 */

const stack = "rehearsal";
const namespace = "lakehouse";
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-rehearsal-"));
// Beside Pulumi.yaml, where users keep theirs (gitignored); removed at the end.
const stackFile = path.join(repoRoot, `Pulumi.${stack}.yaml`);
const releaseFile = path.join(runDir, "release.json");
const crdFile = path.join(repoRoot, "..", "shared", "schemas", "flinkdeployments.flink.apache.org-v1.yml");
const timings: Record<string, number> = {};
const log = (msg: string) => process.stderr.write(`[rehearsal] ${msg}\n`);

let cluster: Cluster;
let engine: Engine;
let operator: OperatorStandIn | undefined;
const outcome = new Outcome();
const guard = outcome.track;

/** The images a release pin names; kwok never pulls them, the API server only validates them. */
const release = {
    from: "rehearsal",
    sqlSha256: sha256(pipelineSql()),
    images: Object.fromEntries(releaseImages.map((n, i) => [n, `registry.rehearsal.invalid/lakehouse/${n}@sha256:${String(i + 1).repeat(64)}`])),
};

/** The dev stack, as on a cluster whose platform team runs the Flink operator, deploying a release pin. */
const stackConfig = {
    config: {
        "lakehouse:target": "kind",
        "lakehouse:kubeContext": "lakehouse-rehearsal",
        "lakehouse:serviceType": "NodePort",
        "lakehouse:release": releaseFile,
        "lakehouse:flinkOperator": { install: false },
    },
};

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
    const started = Date.now();
    log(`${what} ...`);
    try {
        return await f();
    } finally {
        timings[what] = Date.now() - started;
        log(`${what}: ${(timings[what] / 1000).toFixed(1)} s`);
    }
}

/** `npm run <action> -- --stack rehearsal [args]`, the README's commands. */
function npmRun(action: string, args: string[] = [], timeoutMs = 15 * 60_000) {
    return run("npm", ["run", "--silent", action, "--", "--stack", stack, ...args], {
        cwd: repoRoot,
        env: engine.env,
        timeoutMs,
        logFile: path.join(runDir, "logs", "pulumi.log"),
    });
}

/** The pinned CLI through its npm launcher, for what the deploy script does not wrap. */
function pulumi(args: string[], timeoutMs = 10 * 60_000) {
    return run(path.join(repoRoot, "node_modules", ".bin", "pulumi"), [...args, "--stack", stack], {
        cwd: repoRoot,
        env: engine.env,
        timeoutMs,
        logFile: path.join(runDir, "logs", "pulumi.log"),
    });
}

interface StateResource {
    urn: string;
    type: string;
    custom?: boolean;
    outputs?: Record<string, any>;
}

async function exportState(showSecrets = false): Promise<StateResource[]> {
    const r = await pulumi(["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])]);
    return JSON.parse(r.stdout).deployment.resources ?? [];
}

/** `kubernetes:apps/v1:StatefulSet` -> apps/v1, StatefulSet; `kubernetes:core/v1:Secret` -> v1, Secret. */
function apiOf(type: string): { apiVersion: string; kind: string } {
    const [, group, kind] = type.split(":");
    return { apiVersion: group.startsWith("core/") ? group.slice("core/".length) : group, kind };
}

async function live(r: StateResource): Promise<KubeObject | undefined> {
    const { apiVersion, kind } = apiOf(r.type);
    const { plural, namespaced } = await cluster.kube.plural(apiVersion, kind);
    const meta = r.outputs?.metadata ?? {};
    return cluster.kube.find(apiVersion, plural, meta.name, namespaced ? meta.namespace : undefined);
}

const k8sResources = (rs: StateResource[]) =>
    rs.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"));

beforeAll(
    guard(async () => {
        const tools = await timed("toolchain (build or cache check)", () => ensureToolchain());
        cluster = await timed("control plane start", () => startCluster(tools, runDir));
        // The platform team's operator install, as far as this stack can see it: the CRD, and an
        // operator that answers FlinkDeployments in the stack's namespace.
        await cluster.kube.create("apiextensions.k8s.io/v1", "customresourcedefinitions", YAML.parse(fs.readFileSync(crdFile, "utf8")));
        await waitUntil(async () => {
            const crd = await cluster.kube.get("apiextensions.k8s.io/v1", "customresourcedefinitions", "flinkdeployments.flink.apache.org");
            return (crd.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Established" && c.status === "True");
        }, "the FlinkDeployment CRD established");
        operator = startOperatorStandIn(cluster.kube, [namespace]);
        engine = prepareEngine(tools, runDir, cluster.kubeconfig);
        fs.writeFileSync(releaseFile, JSON.stringify(release, null, 2));
        fs.writeFileSync(stackFile, YAML.stringify(stackConfig));
    }),
    90 * 60_000,
);

afterAll(async () => {
    await operator?.stop();
    await cluster?.stop();
    fs.rmSync(stackFile, { force: true });
    const rows = Object.entries(timings).map(([k, v]) => `  ${k}: ${(v / 1000).toFixed(1)} s`);
    log(`wall times:\n${rows.join("\n")}`);
    if (outcome.failed || process.env.REHEARSAL_KEEP) log(`run directory kept: ${runDir} (logs in ${path.join(runDir, "logs")})`);
    else fs.rmSync(runDir, { recursive: true, force: true });
}, 120_000);

async function waitUntil(f: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await f().catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

test(
    "npm run up creates every resource on the API server",
    guard(async () => {
        await timed("up (first)", () => npmRun("up"));
        const firstUp = await exportState();
        const resources = k8sResources(firstUp);
        log(`${firstUp.length} resources in the state, ${resources.length} of them Kubernetes objects`);
        const kinds = new Set(resources.map((r) => apiOf(r.type).kind));
        for (const k of ["Namespace", "Secret", "ConfigMap", "Service", "StatefulSet", "Deployment", "Job", "CronJob", "ServiceAccount", "Role", "RoleBinding", "FlinkDeployment"]) {
            expect([k, kinds.has(k)]).toEqual([k, true]);
        }
        const missing: string[] = [];
        for (const r of resources) {
            if (!(await live(r))) missing.push(r.urn);
        }
        expect(missing).toEqual([]);
        expect(operator?.errors).toEqual([]);
    }),
);

test(
    "stateful sets run with their volumes bound; Jobs completed; the CronJob scheduled",
    guard(async () => {
        const kube = cluster.kube;
        for (const name of ["mysql", "minio"]) {
            const sts = await kube.get("apps/v1", "statefulsets", name, namespace);
            expect(sts.status.readyReplicas).toBe(1);
            const pvc = await kube.get("v1", "persistentvolumeclaims", `data-${name}-0`, namespace);
            expect(pvc.status.phase).toBe("Bound");
            expect(pvc.spec.storageClassName).toBe("kwok-volume"); // the cluster's default class
        }
        const jobs = await kube.list("batch/v1", "jobs", namespace);
        expect(jobs.length).toBeGreaterThanOrEqual(2);
        for (const job of jobs) {
            expect([job.metadata.name, (job.status.conditions ?? []).some((c: any) => c.type === "Complete" && c.status === "True")]).toEqual([job.metadata.name, true]);
        }
        const cron = await kube.list("batch/v1", "cronjobs", namespace);
        expect(cron.map((c) => c.spec.schedule)).toEqual(["17 * * * *"]);
    }),
);

test(
    "the FlinkDeployment is the program's: the promoted image, the SQL hash, RUNNING; its UI Service has the JobManager behind it",
    guard(async () => {
        const fd = await cluster.kube.get("flink.apache.org/v1beta1", "flinkdeployments", "sales-by-product", namespace);
        expect(fd.spec.image).toBe(release.images["flink-job"]);
        expect(fd.metadata.annotations?.["lakehouse/sql-sha256"]).toBe(release.sqlSha256);
        expect(fd.spec.serviceAccount).toBe("flink");
        expect(fd.spec.flinkConfiguration["execution.checkpointing.interval"]).toBe("30 s");
        expect(fd.status.jobStatus.state).toBe("RUNNING");
        // With the operator pre-installed the stack brings the job's account and its Role.
        expect(await cluster.kube.find("v1", "serviceaccounts", "flink", namespace)).toBeDefined();
        expect(await cluster.kube.find("rbac.authorization.k8s.io/v1", "roles", "flink", namespace)).toBeDefined();
        const services = await cluster.kube.list("v1", "services", namespace);
        const nodePorts = Object.fromEntries(services.flatMap((s) => (s.spec.ports ?? []).filter((p: any) => p.nodePort).map((p: any) => [s.metadata.name, p.nodePort])));
        expect(nodePorts).toMatchObject({ "sales-by-product-ui": 30081, trino: 30080, superset: 30088 });
        for (const s of services.filter((x) => x.spec.selector)) {
            const slices = await cluster.kube.list("discovery.k8s.io/v1", "endpointslices", namespace, `kubernetes.io/service-name=${s.metadata.name}`);
            const ready = slices.flatMap((sl) => (sl as any).endpoints ?? []).filter((e: any) => e.conditions?.ready);
            expect([s.metadata.name, ready.length > 0]).toEqual([s.metadata.name, true]);
        }
    }),
);

test(
    "generated credentials live only in Secrets: not in a ConfigMap, an env literal or the state in clear",
    guard(async () => {
        const withSecrets = await exportState(true);
        // `stack export --show-secrets` shows a secret as {<secret signature>, plaintext: <JSON>}.
        const plain = (v: any): string => (v && typeof v === "object" && "plaintext" in v ? JSON.parse(v.plaintext) : String(v ?? ""));
        const generated = withSecrets.filter((r) => r.type.startsWith("random:")).map((r) => plain(r.outputs?.result));
        expect(generated.length).toBeGreaterThanOrEqual(6);
        expect(generated.every((v) => v.length >= 20)).toBe(true);

        const kube = cluster.kube;
        const secretValues = (await kube.list("v1", "secrets", namespace)).flatMap((s) => Object.values(s.data ?? {}).map((b64) => Buffer.from(b64, "base64").toString("utf8")));
        for (const v of generated) expect(secretValues.some((s) => s.includes(v))).toBe(true);

        const plainText = JSON.stringify([
            ...(await kube.list("v1", "configmaps", namespace)).map((c) => c.data),
            ...(await kube.list("v1", "pods", namespace)).map((p) => p.spec),
            ...(await kube.list("apps/v1", "deployments", namespace)).map((d) => d.spec),
            ...(await kube.list("apps/v1", "statefulsets", namespace)).map((d) => d.spec),
            ...(await kube.list("batch/v1", "jobs", namespace)).map((d) => d.spec),
            ...(await kube.list("batch/v1", "cronjobs", namespace)).map((d) => d.spec),
            ...(await kube.list("flink.apache.org/v1beta1", "flinkdeployments", namespace)).map((d) => d.spec),
        ]);
        for (const v of generated) expect(plainText.includes(v)).toBe(false);

        // The state file as the engine wrote it: the secret output encrypted, no credential in clear.
        const stateFiles = walk(path.join(engine.backendDir, ".pulumi", "stacks")).filter((f) => f.endsWith(`${stack}.json`));
        expect(stateFiles).toHaveLength(1);
        const stateText = fs.readFileSync(stateFiles[0], "utf8");
        for (const v of generated) expect(stateText.includes(v)).toBe(false);
        const stackRes = JSON.parse(stateText).checkpoint.latest.resources.find((r: StateResource) => r.type === "pulumi:pulumi:Stack");
        expect(stackRes.outputs.credentials).toHaveProperty("ciphertext");
    }),
);

test(
    "stack outputs: what the README promises, the credentials output readable with --show-secrets",
    guard(async () => {
        const out = JSON.parse((await pulumi(["stack", "output", "--json", "--show-secrets"])).stdout);
        expect(out.kubeNamespace).toBe(namespace);
        expect(out.imageRefs).toEqual(release.images);
        expect(out.flinkJobName).toBe("sales-by-product");
        expect(out.flinkSqlSha256).toBe(release.sqlSha256);
        expect(out.trinoUrl).toBe("http://localhost:30080");
        expect(out.supersetUrl).toBe("http://localhost:30088");
        expect(out.mysqlEndpoint).toBe("mysql.lakehouse.svc.cluster.local:3306");
        expect(out.portForwards.trino).toContain("--context lakehouse-rehearsal");
        const mysqlSecret = await cluster.kube.get("v1", "secrets", out.mysqlCredentialsSecret, namespace);
        const rootPassword = Object.values(mysqlSecret.data ?? {}).map((b) => Buffer.from(b, "base64").toString("utf8"));
        expect(rootPassword).toContain(out.credentials.mysqlRootPassword);
        const masked = JSON.parse((await pulumi(["stack", "output", "--json"])).stdout);
        expect(masked.credentials).toBe("[secret]");
    }),
);

test(
    "right after up, a preview shows no changes",
    guard(async () => {
        await timed("preview --expect-no-changes", () => pulumi(["preview", "--expect-no-changes", "--diff"]));
    }),
);

test(
    "a checkpoint interval change is one in-place update of the FlinkDeployment, nothing replaced",
    guard(async () => {
        await pulumi(["config", "set", "--path", "lakehouse:flink.checkpointIntervalSeconds", "10"]);
        const preview = await timed("preview (one change)", () => pulumi(["preview", "--json"]));
        const steps: { op: string; urn: string; diffReasons?: string[]; detailedDiff?: Record<string, unknown> }[] = JSON.parse(preview.stdout).steps ?? [];
        const changed = steps.filter((s) => s.op !== "same");
        expect(changed.map((s) => [s.op, s.urn.split("::").pop()])).toEqual([["update", "pipeline"]]);
        expect(changed[0].urn).toContain("FlinkDeployment");
        // The interval reaches the job twice: Flink's configuration, and the SQL's ${CHECKPOINT_INTERVAL}.
        expect(Object.keys(changed[0].detailedDiff ?? {}).sort()).toEqual(['spec.flinkConfiguration["execution.checkpointing.interval"]', "spec.podTemplate.spec.containers[0].env[0].value"]);
        const fdBefore = await cluster.kube.get("flink.apache.org/v1beta1", "flinkdeployments", "sales-by-product", namespace);
        expect(fdBefore.spec.podTemplate.spec.containers[0].env[0]).toEqual({ name: "CHECKPOINT_INTERVAL", value: "30 s" });
        const diff = await npmRun("preview");
        expect(diff.stdout).toMatch(/execution\.checkpointing\.interval.*"30 s" => "10 s"/);

        const before = await cluster.kube.get("apps/v1", "statefulsets", "mysql", namespace);
        await timed("up (update in place)", () => npmRun("up"));
        const after = await cluster.kube.get("apps/v1", "statefulsets", "mysql", namespace);
        expect(after.metadata.uid).toBe(before.metadata.uid);
        const fd = await cluster.kube.get("flink.apache.org/v1beta1", "flinkdeployments", "sales-by-product", namespace);
        expect(fd.spec.flinkConfiguration["execution.checkpointing.interval"]).toBe("10 s");
        expect(fd.spec.podTemplate.spec.containers[0].env[0]).toEqual({ name: "CHECKPOINT_INTERVAL", value: "10 s" });
    }),
);

test(
    "refresh finds no drift",
    guard(async () => {
        await timed("refresh", () => npmRun("refresh", ["--expect-no-changes"]));
        await pulumi(["preview", "--expect-no-changes"]);
    }),
);

test(
    "destroy removes everything: the namespace, its PVCs and their volumes",
    guard(async () => {
        await timed("destroy", () => npmRun("destroy"));
        await waitUntil(async () => !(await cluster.kube.find("v1", "namespaces", namespace)), "namespace lakehouse gone", 120_000);
        expect(await cluster.kube.list("v1", "persistentvolumeclaims")).toEqual([]);
        await waitUntil(async () => (await cluster.kube.list("v1", "persistentvolumes")).length === 0, "the volumes released and deleted");
        const left = (await exportState()).filter((r) => r.type !== "pulumi:pulumi:Stack");
        expect(left).toEqual([]);
    }),
);

test(
    "a FlinkDeployment that never reaches RUNNING fails up within its timeout, with a message that says why",
    guard(async () => {
        // No operator answers this time (as when the platform team's operator does not watch the namespace).
        await operator?.stop();
        operator = undefined;
        await pulumi(["config", "set", "--path", "lakehouse:flink.startTimeoutSeconds", "30"]);
        const started = Date.now();
        let error: CommandError | undefined;
        await timed("up (job never RUNNING)", () => npmRun("up").catch((e: CommandError) => void (error = e)));
        const elapsed = Date.now() - started;
        expect(error).toBeDefined();
        const output = `${error?.stdout}${error?.stderr}`;
        // The deploy script reads the state the failed update left and says what happened and what to check.
        expect(output).toMatch(/The Flink job lakehouse\/sales-by-product did not report RUNNING within 30 s \(lakehouse:flink.startTimeoutSeconds\)/);
        expect(output).toMatch(/No Flink operator reconciled it .*must be running and watching namespace lakehouse/);
        expect(output).toMatch(/kubectl --context lakehouse-rehearsal -n lakehouse describe flinkdeployment sales-by-product/);
        // Everything before the FlinkDeployment is created in well under a minute here.
        expect(elapsed).toBeLessThan(4 * 60_000);
        await timed("destroy (after the failed up)", () => npmRun("destroy"));
        await waitUntil(async () => !(await cluster.kube.find("v1", "namespaces", namespace)), "namespace lakehouse gone", 120_000);
    }),
);

function walk(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
