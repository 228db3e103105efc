import { k8sKind, ProgramRun, runProgram, strings } from "./program";

/** No generated password or key may appear anywhere but a Secret or a secret output. */

let run: ProgramRun;

beforeAll(async () => {
    run = await runProgram({ "lakehouse:target": "kind" });
});

test("the mocks generated the secrets the program uses", () => {
    // mysql: root + 4 roles; minio: access + secret key; superset: secret key + admin password
    expect(run.generatedSecrets.length).toBe(9);
});

test("Secrets hold the generated values", () => {
    const inSecrets = run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret").flatMap((r) => strings(r.inputs.stringData));
    for (const s of run.generatedSecrets) expect(inSecrets).toContain(s);
});

test("no generated value appears in any other Kubernetes object", () => {
    const leaks = run.resources
        .filter((r) => k8sKind(r.type) && r.type !== "kubernetes:core/v1:Secret")
        .flatMap((r) => strings(r.inputs).filter((v) => run.generatedSecrets.some((s) => v.includes(s))).map((v) => `${r.type} ${r.name}: ${v}`));
    expect(leaks).toEqual([]);
});

test("no generated value appears in a plain stack output", () => {
    const plain = Object.entries(run.outputs).filter(([k]) => !run.secretOutputs.has(k));
    const leaks = plain.flatMap(([k, v]) => strings(v).filter((x) => run.generatedSecrets.some((s) => x.includes(s))).map((x) => `${k}: ${x}`));
    expect(leaks).toEqual([]);
});

test("no container sets a password-like variable as a literal", () => {
    const literals = run.resources
        .filter((r) => k8sKind(r.type))
        .flatMap((r) => {
            const pod = r.inputs.spec?.template?.spec ?? r.inputs.spec?.jobTemplate?.spec?.template?.spec;
            const containers = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])];
            return containers.flatMap((c: any) =>
                (c.env ?? []).filter((e: any) => /PASSWORD|SECRET|ACCESS_KEY/.test(e.name) && e.value !== undefined).map((e: any) => `${r.name}/${c.name}: ${e.name}`),
            );
        });
    expect(literals).toEqual([]);
});

test("every generated value is stored encrypted in the state, RandomString's included", () => {
    // RandomPassword marks `result` secret itself; RandomString does not, so the program must.
    const randoms = run.resources.filter((r) => r.type.startsWith("random:"));
    expect(randoms.length).toBe(9);
    const clear = randoms.filter((r) => r.type !== "random:index/randomPassword:RandomPassword" && !r.additionalSecretOutputs.includes("result"));
    expect(clear.map((r) => r.name)).toEqual([]);
});
