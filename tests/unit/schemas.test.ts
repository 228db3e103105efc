import { k8sKind, k8sModel, k8sSchemaFailures, ProgramRun, runProgram } from "./program";

/**
 * Every Kubernetes object the dev program registers (with Trino workers on), validated against the
 * Kubernetes API schemas: types, required fields, enums and formats. The staging and prod tests
 * run the same check on theirs.
 */

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram({ "lakehouse:target": "kind", "lakehouse:serviceType": "NodePort", "lakehouse:trino": JSON.stringify({ workers: 2 }) });
});

test("there is a schema for every built-in object and each object validates", () => {
    expect(run.resources.filter((r) => k8sKind(r.type)).length).toBeGreaterThan(20);
    expect(k8sSchemaFailures(run)).toEqual([]);
});

test("the validator does reject a malformed object (the check can fail)", () => {
    const Model = k8sModel("apps/v1", "Deployment")!;
    const bad = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: { spec: { containers: [{ name: "c", ports: [{ containerPort: "80" }] }] } } } };
    expect(() => new Model(bad).validate()).toThrow(/selector|containerPort/);
});
