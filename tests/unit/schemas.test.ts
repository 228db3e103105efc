import { k8sKind, ProgramRun, runProgram } from "./program";

/**
 * Every Kubernetes object the program registers, validated against the Kubernetes API schemas
 * (kubernetes-models' OpenAPI validators): types, required fields, enums and formats.
 */

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram({ "lakehouse:target": "kind", "lakehouse:serviceType": "NodePort", "lakehouse:trino": JSON.stringify({ workers: 2 }) });
});

function modelFor(apiVersion: string, kind: string): { validate(): void } | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const dir = group === "" ? version : `${group}/${version}`;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(`kubernetes-models/${dir}/${kind}`);
        return mod[kind];
    } catch {
        return undefined;
    }
}

test("there is a schema for every built-in object and each object validates", () => {
    const objects = run.resources.filter((r) => k8sKind(r.type) && !r.type.startsWith("kubernetes:flink.apache.org"));
    expect(objects.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const r of objects) {
        const { apiVersion, kind } = k8sKind(r.type)!;
        const Model = modelFor(apiVersion, kind) as any;
        if (!Model) {
            failures.push(`${kind} ${r.name}: no schema for ${apiVersion}`);
            continue;
        }
        try {
            new Model({ ...r.inputs, apiVersion, kind }).validate();
        } catch (e) {
            failures.push(`${kind} ${r.name}: ${(e as Error).message}`);
        }
    }
    expect(failures).toEqual([]);
});

test("the validator does reject a malformed object (the check can fail)", () => {
    const Model = modelFor("apps/v1", "Deployment") as any;
    const bad = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: { spec: { containers: [{ name: "c", ports: [{ containerPort: "80" }] }] } } } };
    expect(() => new Model(bad).validate()).toThrow(/selector|containerPort/);
});
