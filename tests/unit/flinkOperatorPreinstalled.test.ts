import { byType, one, ProgramRun, runProgram } from "./program";

/** A cluster whose platform team already runs the Flink operator: `flinkOperator.install: false`. */

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram({
        "lakehouse:target": "kind",
        "lakehouse:flinkOperator": JSON.stringify({ install: false }),
        "lakehouse:flink": JSON.stringify({ startTimeoutSeconds: 120 }),
    });
});

test("no chart and no operator namespace are deployed", () => {
    expect(byType(run, "kubernetes:helm.sh/v4:Chart")).toEqual([]);
    expect(byType(run, "kubernetes:core/v1:Namespace").map((n) => n.inputs.metadata.name)).toEqual(["lakehouse"]);
});

test("the stack brings the job's service account with a Role limited to what a JobManager does", () => {
    const sa = one(run, "kubernetes:core/v1:ServiceAccount", "flink-job");
    expect(sa.inputs.metadata).toMatchObject({ name: "flink", namespace: "lakehouse" });
    const role = one(run, "kubernetes:rbac.authorization.k8s.io/v1:Role", "flink-job");
    const rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] = role.inputs.rules;
    expect(rules.flatMap((r) => r.resources).sort()).toEqual(["configmaps", "deployments", "deployments/finalizers", "pods"]);
    expect(rules.flatMap((r) => r.verbs)).not.toContain("*");
    // No Secrets: the job reads its passwords through secretKeyRef, which the kubelet resolves.
    expect(rules.flatMap((r) => r.resources)).not.toContain("secrets");
    const binding = one(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "flink-job");
    expect(binding.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "flink", namespace: "lakehouse" }]);
});

test("the FlinkDeployment runs as that account, waits for it and for the configured start timeout", () => {
    const fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
    expect(fd.inputs.spec.serviceAccount).toBe("flink");
    // Depending on the component means depending on each of its children.
    for (const child of ["kubernetes:core/v1:ServiceAccount::flink-job", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::flink-job"]) {
        expect(fd.dependencies.some((u) => u.endsWith(child))).toBe(true);
    }
    expect(fd.inputs.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe("120");
});
