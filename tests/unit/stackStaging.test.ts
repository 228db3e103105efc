import { flinkDeploymentFailures } from "./crd";
import { byType, k8sSchemaFailures, one, ProgramRun, runProgram, stackFileConfig } from "./program";

/** The staging stack (Pulumi.staging.yaml) as the program renders it. */

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram(stackFileConfig("staging"), "staging");
});

test("every Kubernetes object validates against the Kubernetes API schemas, the FlinkDeployment against its CRD", () => {
    expect(k8sSchemaFailures(run)).toEqual([]);
    expect(flinkDeploymentFailures(run)).toEqual([]);
});

test("deploys to the configured EKS context", () => {
    expect(one(run, "pulumi:providers:kubernetes", "k8s").inputs.context).toBe("lakehouse-staging");
});

test("images are built from this checkout and pushed to ECR repositories the program owns, used by digest", () => {
    const repos = byType(run, "aws:ecr/repository:Repository");
    expect(repos.map((r) => r.inputs.name).sort()).toEqual(["lakehouse/flink-job", "lakehouse/generator", "lakehouse/superset", "lakehouse/trino"]);
    for (const r of repos) expect(r.inputs.imageTagMutability).toBe("IMMUTABLE");
    const images = byType(run, "docker:index/image:Image");
    expect(images).toHaveLength(4);
    for (const i of images) {
        expect(i.inputs.skipPush).toBeFalsy();
        expect(i.inputs.registry.server).toBe(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/lakehouse/${i.name}`);
        expect(i.inputs.imageName).toMatch(new RegExp(`^123456789012\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com/lakehouse/${i.name}:[0-9a-f]{16}$`));
    }
    expect(byType(run, "command:local:Command")).toHaveLength(0);
    // Workloads use the pushed digest (the mocks' repoDigest), never a tag.
    const fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
    expect(fd.inputs.spec.image).toBe("sha256:flink-job");
});

test("gp3 volumes, internal load balancers, bigger resources, a Trino worker, Flink parallelism 2", () => {
    const mysql = one(run, "kubernetes:apps/v1:StatefulSet", "mysql");
    expect(mysql.inputs.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("gp3");
    expect(mysql.inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("50Gi");
    const trinoSvc = one(run, "kubernetes:core/v1:Service", "trino");
    expect(trinoSvc.inputs.spec.type).toBe("LoadBalancer");
    expect(trinoSvc.inputs.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]).toBe("internal");
    expect(one(run, "kubernetes:apps/v1:Deployment", "trino-worker").inputs.spec.replicas).toBe(1);
    const fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
    expect(fd.inputs.spec.job.parallelism).toBe(2);
    expect(fd.inputs.spec.flinkConfiguration["execution.checkpointing.interval"]).toBe("30 s");
});

test("nothing is protected on staging", () => {
    expect(run.resources.filter((r) => r.protect).map((r) => r.name)).toEqual([]);
});
