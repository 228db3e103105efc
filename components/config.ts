/**
 * The stack configuration: every setting under the `lakehouse:` namespace, typed, defaulted and
 * validated before any resource is registered. A bad value fails the whole program with one
 * message that names each offending key and how to fix it.
 */

import * as fs from "fs";
import * as path from "path";
import { flinkOperatorChartRepo, flinkOperatorVersion, repoRoot } from "./versions";
import { hardDefaults, Profile, profiles as generatorProfiles } from "../generator/settings";

export const namespace = "lakehouse";

export type Target = "kind" | "eks";
export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

export interface ResourceSpec {
    requests: { cpu: string; memory: string };
    limits: { cpu?: string; memory: string };
}

export interface MySqlSettings {
    storageSize: string;
    resources: ResourceSpec;
    serverId: number;
    binlogExpireSeconds: number;
}

export interface ObjectStoreSettings {
    /** `minio`: MinIO in the cluster. `s3`: an existing S3 bucket reached with IRSA (no keys). */
    mode: "minio" | "s3";
    storageSize: string;
    resources: ResourceSpec;
    bucket: string;
    region: string;
    /** s3 mode: the IAM role (IRSA) Flink and Trino assume to reach the bucket. */
    roleArn: string;
    /** s3 mode: the S3 endpoint; empty means the region's AWS endpoint. */
    endpoint: string;
}

export interface RegistrySettings {
    /** AWS region of the ECR registry. */
    region: string;
    /** Repositories are named `<repositoryPrefix>/<image>`. */
    repositoryPrefix: string;
}

export interface TrinoSettings {
    workers: number;
    coordinatorResources: ResourceSpec;
    workerResources: ResourceSpec;
    /** Share of the container memory limit given to the JVM heap, in percent. */
    heapPercent: number;
}

export interface SupersetSettings {
    replicas: number;
    resources: ResourceSpec;
    adminUsername: string;
    adminEmail: string;
}

export interface GeneratorSettings {
    enabled: boolean;
    products: number;
    salesPerSecond: number;
    /** Probabilities of each change kind per tick, besides inserts. */
    updateRatio: number;
    deleteRatio: number;
    renameRatio: number;
    /** `hard` adds transactions, rollbacks, product churn, values at the limits and bulk UPDATEs (generator/hard.ts). */
    profile: Profile;
    /** Connections writing at once; the rate is their total. */
    connections: number;
    /** Changes released at once, then a pause: the same average rate in bursts. */
    burst: number;
    /** Shares of the hard profile's steps (at most 1 together); ignored by the default profile. */
    txRatio: number;
    rollbackRatio: number;
    bulkRatio: number;
    extremeRatio: number;
    churnRatio: number;
    /** Rows per bulk UPDATE of the hard profile. */
    bulkRows: number;
    resources: ResourceSpec;
}

export interface FlinkSettings {
    parallelism: number;
    /** How long `pulumi up` waits for the job to be RUNNING before it fails. */
    startTimeoutSeconds: number;
    checkpointIntervalSeconds: number;
    /**
     * The Iceberg branch the job writes. `main` is what readers see; a rebuild (README, "Rebuilding
     * the lake") writes a job started without state to another branch and publishes it when complete.
     */
    sinkBranch: "main" | "rebuild";
    upgradeMode: "savepoint" | "last-state";
    jobManagerResources: { cpu: number; memory: string };
    taskManagerResources: { cpu: number; memory: string };
    taskSlots: number;
}

export interface FlinkOperatorSettings {
    /**
     * false: the cluster's platform team already runs the operator (its CRDs installed, watching this
     * stack's namespace); the program installs no chart and only creates the job's service account.
     */
    install: boolean;
    /**
     * Where the chart comes from: a Helm repository URL (https://...), an OCI reference
     * (oci://.../flink-kubernetes-operator), or a path to a vendored chart (a directory or .tgz,
     * relative to the project).
     */
    chart: string;
}

export interface NodePorts {
    trino: number;
    superset: number;
    flinkUi: number;
    minioConsole: number;
}

export interface LakehouseConfig {
    target: Target;
    namespace: string;
    /** kubeconfig context to deploy to; on kind defaults to `kind-<kindClusterName>`. */
    kubeContext?: string;
    kindClusterName: string;
    /** undefined: the cluster's default StorageClass. */
    storageClass?: string;
    serviceType: ServiceType;
    /** Annotations on the UI Services, e.g. to make an AWS load balancer internal. */
    serviceAnnotations: Record<string, string>;
    nodePorts: NodePorts;
    mysql: MySqlSettings;
    objectStore: ObjectStoreSettings;
    trino: TrinoSettings;
    superset: SupersetSettings;
    generator: GeneratorSettings;
    flink: FlinkSettings;
    flinkOperator: FlinkOperatorSettings;
    /** eks: where the program pushes the images it builds. */
    registry?: RegistrySettings;
    /** Pulumi `protect` on stateful resources (PVC-backed StatefulSets, Secrets, the bucket Job). */
    protect: boolean;
    /** A release pin (see scripts/promote.ts): deploy these images rather than what this checkout builds. */
    release?: string;
    /** Cron schedule of the table maintenance (trino/maintenance.sql). */
    maintenanceSchedule: string;
}

const res = (reqCpu: string, reqMem: string, limCpu: string | undefined, limMem: string): ResourceSpec => ({
    requests: { cpu: reqCpu, memory: reqMem },
    limits: limCpu === undefined ? { memory: limMem } : { cpu: limCpu, memory: limMem },
});

/** Defaults sized for a laptop kind cluster; EKS stacks raise them in their stack file. */
export const defaults: Omit<LakehouseConfig, "target" | "kubeContext" | "storageClass" | "registry" | "release"> = {
    namespace: "lakehouse",
    kindClusterName: "lakehouse",
    serviceType: "ClusterIP",
    serviceAnnotations: {},
    nodePorts: { trino: 30080, superset: 30088, flinkUi: 30081, minioConsole: 30901 },
    mysql: { storageSize: "5Gi", resources: res("250m", "512Mi", undefined, "1Gi"), serverId: 1, binlogExpireSeconds: 7 * 24 * 3600 },
    objectStore: { mode: "minio", storageSize: "10Gi", resources: res("100m", "256Mi", undefined, "1Gi"), bucket: "warehouse", region: "us-east-1", roleArn: "", endpoint: "" },
    trino: {
        workers: 0,
        coordinatorResources: res("500m", "2Gi", undefined, "2Gi"),
        workerResources: res("500m", "2Gi", undefined, "2Gi"),
        heapPercent: 70,
    },
    superset: { replicas: 1, resources: res("250m", "1Gi", undefined, "1536Mi"), adminUsername: "admin", adminEmail: "admin@example.com" },
    generator: {
        enabled: true,
        products: 20,
        salesPerSecond: 2,
        updateRatio: 0.1,
        deleteRatio: 0.05,
        renameRatio: 0.02,
        profile: "default",
        connections: 1,
        burst: 1,
        ...hardDefaults,
        resources: res("50m", "64Mi", undefined, "256Mi"),
    },
    flink: {
        parallelism: 1,
        startTimeoutSeconds: 900,
        checkpointIntervalSeconds: 30,
        sinkBranch: "main",
        upgradeMode: "savepoint",
        jobManagerResources: { cpu: 0.5, memory: "1536m" },
        taskManagerResources: { cpu: 1, memory: "2048m" },
        taskSlots: 2,
    },
    flinkOperator: { install: true, chart: flinkOperatorChartRepo(flinkOperatorVersion) },
    protect: false,
    maintenanceSchedule: "17 * * * *",
};

const registryDefaults: RegistrySettings = { region: "", repositoryPrefix: "lakehouse" };

/** One bad setting: the key as the user types it, what is wrong, and the command that fixes it. */
export interface ConfigProblem {
    key: string;
    problem: string;
    fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.key}: ${p.problem}\n    fix: ${p.fix}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

type Raw = Record<string, string>;

const topLevelKeys = [
    "target",
    "namespace",
    "kubeContext",
    "kindClusterName",
    "storageClass",
    "serviceType",
    "serviceAnnotations",
    "nodePorts",
    "mysql",
    "objectStore",
    "trino",
    "superset",
    "generator",
    "flink",
    "flinkOperator",
    "registry",
    "protect",
    "release",
    "maintenanceSchedule",
] as const;

const chartLocation = /^((https?|oci):\/\/\S+|[^\s:]+)$/;

function vendoredChartExists(location: string): boolean {
    const full = path.resolve(repoRoot, location);
    if (!fs.existsSync(full)) return false;
    return fs.statSync(full).isDirectory() ? fs.existsSync(path.join(full, "Chart.yaml")) : /\.tgz$/.test(full);
}

const quantityPattern = /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const flinkMemory = /^[0-9]+(m|g|mb|gb)$/i;

/**
 * Reads and checks the raw `lakehouse:*` values (as `pulumi.runtime.allConfig()` holds them: plain
 * strings, objects as JSON). Pure, so tests call it directly.
 */
export function parseConfig(raw: Raw): LakehouseConfig {
    const problems: ConfigProblem[] = [];
    const v = new Validator(raw, problems);

    for (const full of Object.keys(raw)) {
        const [ns, key] = full.split(":", 2);
        if (ns === namespace && !(topLevelKeys as readonly string[]).includes(key)) {
            problems.push({
                key: full,
                problem: "unknown setting",
                fix: `remove it (pulumi config rm ${full}); known settings: ${topLevelKeys.join(", ")}`,
            });
        }
    }

    const target = v.oneOf("target", ["kind", "eks"] as const, undefined);
    const isKind = target === "kind";
    const kindClusterName = v.string("kindClusterName", defaults.kindClusterName, dnsLabel, "a DNS label like 'lakehouse'");
    const kubeContext = v.optionalString("kubeContext") ?? (isKind ? `kind-${kindClusterName}` : undefined);
    if (target === "eks" && kubeContext === undefined) {
        problems.push({
            key: `${namespace}:kubeContext`,
            problem: "required when target is eks (the kubeconfig context of the EKS cluster)",
            fix: `pulumi config set ${namespace}:kubeContext <context from 'kubectl config get-contexts'>`,
        });
    }

    const mysql = v.section("mysql", defaults.mysql, (s) => ({
        storageSize: s.quantity("storageSize"),
        resources: s.resources("resources"),
        serverId: s.integer("serverId", 1, 4294967295),
        binlogExpireSeconds: s.integer("binlogExpireSeconds", 3600, 90 * 24 * 3600),
    }));
    const objectStore = v.section("objectStore", defaults.objectStore, (s) => ({
        mode: s.oneOf("mode", ["minio", "s3"]),
        storageSize: s.quantity("storageSize"),
        resources: s.resources("resources"),
        bucket: s.string("bucket", bucketPattern, "an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)"),
        region: s.string("region", /^[a-z0-9-]+$/, "an AWS region name like us-east-1"),
        roleArn: s.string("roleArn", /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "an IAM role ARN like arn:aws:iam::123456789012:role/lakehouse-s3"),
        endpoint: s.string("endpoint", /^https?:\/\/[^\s/]+$/, "an http(s) URL without a path"),
    }));
    const registryGiven = raw[`${namespace}:registry`] !== undefined;
    const registry = registryGiven
        ? v.section("registry", registryDefaults, (s) => ({
              region: s.string("region", /^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region name like eu-west-1"),
              repositoryPrefix: s.string("repositoryPrefix", /^[a-z0-9][a-z0-9._/-]*$/, "an ECR repository prefix like lakehouse"),
          }))
        : undefined;
    const trino = v.section("trino", defaults.trino, (s) => ({
        workers: s.integer("workers", 0, 100),
        coordinatorResources: s.resources("coordinatorResources"),
        workerResources: s.resources("workerResources"),
        heapPercent: s.integer("heapPercent", 30, 90),
    }));
    const superset = v.section("superset", defaults.superset, (s) => ({
        replicas: s.integer("replicas", 1, 20),
        resources: s.resources("resources"),
        adminUsername: s.string("adminUsername", /^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '_', '.', '-'"),
        adminEmail: s.string("adminEmail", /^[^@\s]+@[^@\s]+$/, "an e-mail address"),
    }));
    const generator = v.section("generator", defaults.generator, (s) => ({
        enabled: s.boolean("enabled"),
        products: s.integer("products", 1, 100000),
        salesPerSecond: s.number("salesPerSecond", 0.01, 10000),
        updateRatio: s.number("updateRatio", 0, 1),
        deleteRatio: s.number("deleteRatio", 0, 1),
        renameRatio: s.number("renameRatio", 0, 1),
        profile: s.oneOf("profile", generatorProfiles),
        connections: s.integer("connections", 1, 64),
        burst: s.integer("burst", 1, 100000),
        txRatio: s.number("txRatio", 0, 1),
        rollbackRatio: s.number("rollbackRatio", 0, 1),
        bulkRatio: s.number("bulkRatio", 0, 1),
        extremeRatio: s.number("extremeRatio", 0, 1),
        churnRatio: s.number("churnRatio", 0, 1),
        bulkRows: s.integer("bulkRows", 1, 1_000_000),
        resources: s.resources("resources"),
    }));
    const hardShare = generator.txRatio + generator.rollbackRatio + generator.bulkRatio + generator.extremeRatio + generator.churnRatio;
    if (generator.profile === "hard" && hardShare > 1) {
        problems.push({
            key: `${namespace}:generator`,
            problem: `txRatio, rollbackRatio, bulkRatio, extremeRatio and churnRatio add up to ${hardShare}, more than 1`,
            fix: `lower them, e.g. pulumi config set --path '${namespace}:generator.txRatio' ${hardDefaults.txRatio}`,
        });
    }
    const flink = v.section("flink", defaults.flink, (s) => ({
        parallelism: s.integer("parallelism", 1, 1024),
        startTimeoutSeconds: s.integer("startTimeoutSeconds", 30, 3 * 3600),
        checkpointIntervalSeconds: s.integer("checkpointIntervalSeconds", 1, 3600),
        sinkBranch: s.oneOf("sinkBranch", ["main", "rebuild"] as const),
        upgradeMode: s.oneOf("upgradeMode", ["savepoint", "last-state"] as const),
        jobManagerResources: s.flinkResources("jobManagerResources"),
        taskManagerResources: s.flinkResources("taskManagerResources"),
        taskSlots: s.integer("taskSlots", 1, 64),
    }));
    const flinkOperator = v.section("flinkOperator", defaults.flinkOperator, (s) => ({
        install: s.boolean("install"),
        chart: s.string("chart", chartLocation, "a Helm repository URL (https://...), an OCI reference (oci://...) or a path to the vendored chart"),
    }));
    if (flinkOperator.install && !/^(https?|oci):\/\//.test(flinkOperator.chart) && !vendoredChartExists(flinkOperator.chart)) {
        problems.push({
            key: `${namespace}:flinkOperator.chart`,
            problem: `'${flinkOperator.chart}' is neither a URL nor a chart directory or .tgz under ${repoRoot}`,
            fix: `pulumi config set --path '${namespace}:flinkOperator.chart' charts/vendor/flink-kubernetes-operator-${flinkOperatorVersion}.tgz  (after copying the chart there)`,
        });
    }
    const nodePorts = v.section("nodePorts", defaults.nodePorts, (s) => ({
        trino: s.integer("trino", 30000, 32767),
        superset: s.integer("superset", 30000, 32767),
        flinkUi: s.integer("flinkUi", 30000, 32767),
        minioConsole: s.integer("minioConsole", 30000, 32767),
    }));

    const protect = v.flag("protect", defaults.protect);
    const serviceAnnotations = v.stringMap("serviceAnnotations");
    const release = v.optionalString("release");

    const config: LakehouseConfig = {
        target: target ?? "kind",
        namespace: v.string("namespace", defaults.namespace, dnsLabel, "a DNS label like 'lakehouse'"),
        kubeContext,
        kindClusterName,
        storageClass: v.optionalString("storageClass"),
        serviceType: v.oneOf("serviceType", ["ClusterIP", "NodePort", "LoadBalancer"] as const, defaults.serviceType) ?? defaults.serviceType,
        serviceAnnotations,
        nodePorts,
        mysql,
        objectStore,
        trino,
        superset,
        generator,
        flink,
        flinkOperator,
        registry,
        protect,
        release,
        maintenanceSchedule: v.string("maintenanceSchedule", defaults.maintenanceSchedule, /^(\S+\s+){4}\S+$/, "a five-field cron schedule like '17 * * * *'"),
    };

    const givenFields = (section: string): Record<string, unknown> => {
        try {
            const parsed = JSON.parse(raw[`${namespace}:${section}`] ?? "{}");
            return typeof parsed === "object" && parsed !== null ? parsed : {};
        } catch {
            return {};
        }
    };
    if (target === "eks" && registry === undefined) {
        problems.push({
            key: `${namespace}:registry`,
            problem: "required when target is eks (the ECR registry the program pushes its images to)",
            fix: `pulumi config set --path '${namespace}:registry.region' <aws-region>`,
        });
    }
    if (registry && registry.region === "" ) {
        problems.push({ key: `${namespace}:registry.region`, problem: "is required", fix: `pulumi config set --path '${namespace}:registry.region' <aws-region>` });
    }
    if (target === "kind" && registry !== undefined) {
        problems.push({ key: `${namespace}:registry`, problem: "is used only on eks (kind loads images into the cluster)", fix: `pulumi config rm ${namespace}:registry` });
    }
    if (objectStore.mode === "s3") {
        if (target === "kind") {
            problems.push({ key: `${namespace}:objectStore.mode`, problem: "s3 needs IRSA, which only eks has", fix: `pulumi config set --path '${namespace}:objectStore.mode' minio` });
        }
        if (!("bucket" in givenFields("objectStore"))) {
            problems.push({ key: `${namespace}:objectStore.bucket`, problem: "required when objectStore.mode is s3 (the existing bucket to use)", fix: `pulumi config set --path '${namespace}:objectStore.bucket' <bucket>` });
        }
        if (objectStore.roleArn === "") {
            problems.push({ key: `${namespace}:objectStore.roleArn`, problem: "required when objectStore.mode is s3 (the IAM role Flink and Trino assume through IRSA)", fix: `pulumi config set --path '${namespace}:objectStore.roleArn' arn:aws:iam::<account>:role/<role>` });
        }
    }

    if (flink.parallelism > flink.taskSlots * 64) {
        problems.push({
            key: `${namespace}:flink.parallelism`,
            problem: `parallelism ${flink.parallelism} needs more than 64 TaskManagers of ${flink.taskSlots} slots`,
            fix: `raise ${namespace}:flink.taskSlots or lower ${namespace}:flink.parallelism`,
        });
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config;
}

/** Accumulates problems instead of throwing, so one run reports every bad key at once. */
class Validator {
    constructor(
        private readonly raw: Raw,
        private readonly problems: ConfigProblem[],
    ) {}

    private get(key: string): string | undefined {
        return this.raw[`${namespace}:${key}`];
    }

    private report(key: string, problem: string, fix: string): void {
        this.problems.push({ key: `${namespace}:${key}`, problem, fix });
    }

    stringMap(key: string): Record<string, string> {
        const text = this.get(key);
        if (text === undefined) return {};
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            parsed = undefined;
        }
        const ok = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((x) => typeof x === "string");
        if (!ok) {
            this.report(key, "must be a map of strings", `pulumi config set --path '${namespace}:${key}["<annotation>"]' <value>`);
            return {};
        }
        return parsed as Record<string, string>;
    }

    flag(key: string, def: boolean): boolean {
        const value = this.get(key);
        if (value === undefined) return def;
        if (value === "true" || value === "false") return value === "true";
        this.report(key, `'${value}' is not true or false`, `pulumi config set ${namespace}:${key} ${def}`);
        return def;
    }

    optionalString(key: string): string | undefined {
        const value = this.get(key);
        return value === undefined || value === "" ? undefined : value;
    }

    string(key: string, def: string, pattern: RegExp, expected: string): string {
        const value = this.get(key);
        if (value === undefined) return def;
        if (!pattern.test(value)) {
            this.report(key, `'${value}' is not ${expected}`, `pulumi config set ${namespace}:${key} ${def}`);
            return def;
        }
        return value;
    }

    oneOf<T extends string>(key: string, allowed: readonly T[], def: T | undefined): T | undefined {
        const value = this.get(key);
        if (value === undefined) {
            if (def === undefined) {
                this.report(key, "is required", `pulumi config set ${namespace}:${key} <${allowed.join("|")}>`);
            }
            return def;
        }
        if (!(allowed as readonly string[]).includes(value)) {
            this.report(key, `'${value}' is not one of ${allowed.join(", ")}`, `pulumi config set ${namespace}:${key} ${def ?? allowed[0]}`);
            return def;
        }
        return value as T;
    }

    /** A structured section: given keys are checked, absent ones take their default. */
    section<T extends object>(key: string, def: T, read: (s: SectionReader<T>) => T): T {
        const text = this.get(key);
        let given: Record<string, unknown> = {};
        if (text !== undefined) {
            let parsed: unknown;
            try {
                parsed = JSON.parse(text);
            } catch {
                parsed = undefined;
            }
            if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
                this.report(key, "must be an object", `set its fields with --path, e.g. pulumi config set --path '${namespace}:${key}.<field>' <value>`);
                return def;
            }
            given = parsed as Record<string, unknown>;
            for (const field of Object.keys(given)) {
                if (!(field in def)) {
                    this.report(`${key}.${field}`, "unknown setting", `remove it; known fields of ${key}: ${Object.keys(def).join(", ")}`);
                }
            }
        }
        return read(new SectionReader<T>(key, given, def, (k, p, f) => this.report(k, p, f)));
    }
}

class SectionReader<T extends object> {
    constructor(
        private readonly section: string,
        private readonly given: Record<string, unknown>,
        private readonly def: T,
        private readonly report: (key: string, problem: string, fix: string) => void,
    ) {}

    private field<K extends keyof T & string>(name: K): { present: boolean; value: unknown; def: T[K]; key: string } {
        return { present: name in this.given, value: this.given[name], def: this.def[name], key: `${this.section}.${name}` };
    }

    private setCmd(key: string, value: unknown): string {
        const shown = typeof value === "object" ? `'${JSON.stringify(value)}' --path` : String(value);
        return `pulumi config set --path '${namespace}:${key}' ${shown}`;
    }

    quantity<K extends keyof T & string>(name: K): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        if (typeof f.value !== "string" || !quantityPattern.test(f.value)) {
            this.report(f.key, `'${String(f.value)}' is not a Kubernetes quantity`, this.setCmd(f.key, f.def));
            return f.def;
        }
        return f.value as T[K];
    }

    string<K extends keyof T & string>(name: K, pattern: RegExp, expected: string): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        if (typeof f.value !== "string" || !pattern.test(f.value)) {
            this.report(f.key, `'${String(f.value)}' is not ${expected}`, this.setCmd(f.key, f.def));
            return f.def;
        }
        return f.value as T[K];
    }

    oneOf<K extends keyof T & string>(name: K, allowed: readonly string[]): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        if (typeof f.value !== "string" || !allowed.includes(f.value)) {
            this.report(f.key, `'${String(f.value)}' is not one of ${allowed.join(", ")}`, this.setCmd(f.key, f.def));
            return f.def;
        }
        return f.value as T[K];
    }

    number<K extends keyof T & string>(name: K, min: number, max: number): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        const n = typeof f.value === "string" && f.value.trim() !== "" ? Number(f.value) : f.value;
        if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) {
            this.report(f.key, `'${String(f.value)}' is not a number from ${min} to ${max}`, this.setCmd(f.key, f.def));
            return f.def;
        }
        return n as T[K];
    }

    integer<K extends keyof T & string>(name: K, min: number, max: number): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        const n = typeof f.value === "string" && f.value.trim() !== "" ? Number(f.value) : f.value;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
            this.report(f.key, `'${String(f.value)}' is not a whole number from ${min} to ${max}`, this.setCmd(f.key, f.def));
            return f.def;
        }
        return n as T[K];
    }

    boolean<K extends keyof T & string>(name: K): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        if (f.value === true || f.value === "true") return true as T[K];
        if (f.value === false || f.value === "false") return false as T[K];
        this.report(f.key, `'${String(f.value)}' is not true or false`, this.setCmd(f.key, f.def));
        return f.def;
    }

    resources<K extends keyof T & string>(name: K): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        const def = f.def as unknown as ResourceSpec;
        const given = f.value as Partial<{ requests: Record<string, unknown>; limits: Record<string, unknown> }>;
        if (typeof given !== "object" || given === null) {
            this.report(f.key, "must be an object {requests: {cpu, memory}, limits: {memory[, cpu]}}", this.setCmd(f.key, def));
            return f.def;
        }
        const pick = (part: "requests" | "limits", kind: "cpu" | "memory"): string | undefined => {
            const value = given[part]?.[kind];
            const fallback = def[part][kind as "memory"];
            if (value === undefined) return fallback;
            if (typeof value !== "string" || !quantityPattern.test(value)) {
                this.report(`${f.key}.${part}.${kind}`, `'${String(value)}' is not a Kubernetes quantity`, this.setCmd(`${f.key}.${part}.${kind}`, fallback ?? "500m"));
                return fallback;
            }
            return value;
        };
        const spec: ResourceSpec = {
            requests: { cpu: pick("requests", "cpu") as string, memory: pick("requests", "memory") as string },
            limits: { memory: pick("limits", "memory") as string },
        };
        const limitCpu = pick("limits", "cpu");
        if (limitCpu !== undefined) spec.limits.cpu = limitCpu;
        if (toBytes(spec.requests.memory) > toBytes(spec.limits.memory)) {
            this.report(`${f.key}.requests.memory`, `request ${spec.requests.memory} exceeds limit ${spec.limits.memory}`, `lower it or raise ${namespace}:${f.key}.limits.memory`);
        }
        return spec as unknown as T[K];
    }

    flinkResources<K extends keyof T & string>(name: K): T[K] {
        const f = this.field(name);
        if (!f.present) return f.def;
        const def = f.def as unknown as { cpu: number; memory: string };
        const given = f.value as Partial<{ cpu: unknown; memory: unknown }>;
        const cpu = given?.cpu === undefined ? def.cpu : Number(given.cpu);
        const memory = given?.memory === undefined ? def.memory : given.memory;
        let ok = true;
        if (!Number.isFinite(cpu) || cpu <= 0) {
            this.report(`${f.key}.cpu`, `'${String(given?.cpu)}' is not a positive number of cores`, this.setCmd(`${f.key}.cpu`, def.cpu));
            ok = false;
        }
        if (typeof memory !== "string" || !flinkMemory.test(memory)) {
            this.report(`${f.key}.memory`, `'${String(memory)}' is not a Flink memory size like 2048m or 2g`, this.setCmd(`${f.key}.memory`, def.memory));
            ok = false;
        }
        return (ok ? { cpu, memory } : def) as unknown as T[K];
    }
}

/** Bytes of a Kubernetes quantity (memory); good enough to compare requests with limits. */
export function toBytes(quantity: string): number {
    const m = quantityPattern.exec(quantity);
    if (!m) return NaN;
    const n = Number(m[1]);
    const units: Record<string, number> = {
        "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
        Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
    };
    return n * units[m[3] ?? ""];
}

/** Reads the stack's `lakehouse:*` settings from the running Pulumi program. */
export function loadConfig(allConfig: Record<string, string>): LakehouseConfig {
    const raw: Raw = {};
    for (const [key, value] of Object.entries(allConfig)) {
        if (key.startsWith(`${namespace}:`)) raw[key] = value;
    }
    return parseConfig(raw);
}
