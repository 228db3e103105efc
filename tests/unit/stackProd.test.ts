import * as fs from "fs";
import * as path from "path";
import { flinkDeploymentFailures } from "./crd";
import { byType, k8sKind, k8sSchemaFailures, one, ProgramRun, runProgram, stackFileConfig, strings } from "./program";

/** The prod stack (Pulumi.prod.yaml), with a release pin from tests/unit/fixtures. */

const fixture = path.relative(path.resolve(__dirname, "../.."), path.join(__dirname, "fixtures", "release.json"));
const release = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "release.json"), "utf8"));
let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(stackFileConfig("prod", { "lakehouse:release": fixture }), "prod");
});

test("every Kubernetes object validates against the Kubernetes API schemas, the FlinkDeployment against its CRD", () => {
    expect(k8sSchemaFailures(run)).toEqual([]);
    expect(flinkDeploymentFailures(run)).toEqual([]);
});

test("deploys exactly the promoted image digests and builds nothing", () => {
    expect(byType(run, "docker:index/image:Image")).toHaveLength(0);
    expect(byType(run, "aws:ecr/repository:Repository")).toHaveLength(0);
    const fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
    expect(fd.inputs.spec.image).toBe(release.images["flink-job"]);
    expect(fd.inputs.metadata.annotations["lakehouse/sql-sha256"]).toBe(release.sqlSha256);
    expect(one(run, "kubernetes:apps/v1:Deployment", "trino-coordinator").inputs.spec.template.spec.containers[0].image).toBe(release.images.trino);
    expect(one(run, "kubernetes:apps/v1:Deployment", "superset").inputs.spec.template.spec.containers[0].image).toBe(release.images.superset);
    expect(run.outputs.imageRefs).toEqual(release.images);
});

test("no container image is untagged or tagged latest", () => {
    const images = run.resources
        .filter((r) => k8sKind(r.type))
        .flatMap((r) => {
            const pod = r.inputs.spec?.template?.spec ?? r.inputs.spec?.podTemplate?.spec;
            return [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].map((c: any) => c.image).concat(r.inputs.spec?.image ?? []);
        })
        .filter((i: unknown) => typeof i === "string");
    expect(images.length).toBeGreaterThan(5);
    for (const image of images) {
        expect(image).not.toMatch(/:latest$/);
        expect(image).toMatch(/(@sha256:[0-9a-f]{64}|:[\w.-]+)$/);
    }
    const chart = one(run, "kubernetes:helm.sh/v4:Chart", "flink-operator");
    expect(chart.inputs.values.image.tag).not.toBe("latest");
});

test("no password or key is rendered anywhere but a Secret", () => {
    const leaks = run.resources
        .filter((r) => r.type !== "kubernetes:core/v1:Secret")
        .flatMap((r) => strings(r.inputs).filter((v) => run.generatedSecrets.some((s) => v.includes(s))).map((v) => `${r.type} ${r.name}: ${v}`));
    expect(leaks).toEqual([]);
    const plain = Object.entries(run.outputs).filter(([k]) => !run.secretOutputs.has(k));
    expect(plain.flatMap(([, v]) => strings(v)).filter((v) => run.generatedSecrets.some((s) => v.includes(s)))).toEqual([]);
});

test("the warehouse is the existing S3 bucket through IRSA: no MinIO, no keys", () => {
    expect(byType(run, "kubernetes:apps/v1:StatefulSet").map((s) => s.name)).toEqual(["mysql"]);
    const props: string = one(run, "kubernetes:core/v1:ConfigMap", "trino-coordinator").inputs.data["iceberg.properties"];
    expect(props).toContain("s3.endpoint=https://s3.eu-west-1.amazonaws.com");
    expect(props).toContain("s3.path-style-access=false");
    expect(props).not.toContain("s3.aws-access-key");
    const sa = one(run, "kubernetes:core/v1:ServiceAccount", "trino");
    expect(sa.inputs.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:iam::123456789012:role/lakehouse-prod-warehouse");
    expect(one(run, "kubernetes:apps/v1:Deployment", "trino-coordinator").inputs.spec.template.spec.serviceAccountName).toBe(sa.inputs.metadata.name);
    const chart = one(run, "kubernetes:helm.sh/v4:Chart", "flink-operator");
    expect(chart.inputs.values.jobServiceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe("arn:aws:iam::123456789012:role/lakehouse-prod-warehouse");
    const env: any[] = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline").inputs.spec.podTemplate.spec.containers[0].env;
    expect(env.map((e) => e.name)).not.toContain("AWS_SECRET_ACCESS_KEY");
    expect(env.find((e) => e.name === "ICEBERG_WAREHOUSE").value).toBe("s3://acme-lakehouse-prod-warehouse/warehouse");
    expect(run.outputs.warehouseBucket).toBe("acme-lakehouse-prod-warehouse");
});

test("stateful resources are protected; stateless ones are not", () => {
    const protectedNames = run.resources.filter((r) => r.protect).map((r) => `${r.type} ${r.name}`);
    expect(protectedNames).toEqual(expect.arrayContaining(["kubernetes:core/v1:Namespace namespace", "kubernetes:apps/v1:StatefulSet mysql", "kubernetes:core/v1:Secret mysql-credentials"]));
    expect(protectedNames.some((n) => n.includes("Deployment trino"))).toBe(false);
});

test("prod sizing: three Trino workers, two Superset replicas, Flink parallelism 4, no generator", () => {
    expect(one(run, "kubernetes:apps/v1:Deployment", "trino-worker").inputs.spec.replicas).toBe(3);
    expect(one(run, "kubernetes:apps/v1:Deployment", "superset").inputs.spec.replicas).toBe(2);
    expect(one(run, "kubernetes:apps/v1:Deployment", "generator").inputs.spec.replicas).toBe(0);
    const fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
    expect(fd.inputs.spec.job.parallelism).toBe(4);
    expect(fd.inputs.spec.job.upgradeMode).toBe("savepoint");
});
