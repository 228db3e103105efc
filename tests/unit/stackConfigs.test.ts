import { ConfigError, parseConfig } from "../../components/config";
import { loadRelease, releaseProblems } from "../../components/release";
import { releaseFromOutputs } from "../../scripts/promote";
import { stackFileConfig } from "./program";

/** What each stack file must contain, and the messages a missing value gives. */

function problemKeys(raw: Record<string, string>): string[] {
    try {
        parseConfig(raw);
        return [];
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return e.problems.map((p) => `${p.key}: ${p.problem}`);
    }
}

test.each(["dev", "staging", "prod"])("Pulumi.%s.yaml is valid", (stack) => {
    expect(problemKeys(stackFileConfig(stack))).toEqual([]);
});

test.each(["staging", "prod"])("%s without a registry fails naming lakehouse:registry", (stack) => {
    const raw = stackFileConfig(stack);
    delete raw["lakehouse:registry"];
    expect(problemKeys(raw)).toEqual([expect.stringMatching(/^lakehouse:registry: required when target is eks/)]);
});

test.each(["staging", "prod"])("%s without a cluster context fails naming lakehouse:kubeContext", (stack) => {
    const raw = stackFileConfig(stack);
    delete raw["lakehouse:kubeContext"];
    expect(problemKeys(raw)).toEqual([expect.stringMatching(/^lakehouse:kubeContext: required when target is eks/)]);
});

test("prod's S3 warehouse without a bucket or role fails naming each", () => {
    const raw = stackFileConfig("prod", { "lakehouse:objectStore": JSON.stringify({ mode: "s3", region: "eu-west-1" }) });
    expect(problemKeys(raw)).toEqual([
        expect.stringMatching(/^lakehouse:objectStore.bucket: required when objectStore.mode is s3/),
        expect.stringMatching(/^lakehouse:objectStore.roleArn: required when objectStore.mode is s3/),
    ]);
});

test("an S3 warehouse on kind is refused (no IRSA there)", () => {
    expect(problemKeys(stackFileConfig("dev", { "lakehouse:objectStore": JSON.stringify({ mode: "s3", bucket: "b-1", roleArn: "arn:aws:iam::123456789012:role/r" }) }))).toEqual([
        expect.stringMatching(/^lakehouse:objectStore.mode: s3 needs IRSA/),
    ]);
});

test("prod refuses to deploy before anything was promoted to it", () => {
    expect(() => loadRelease("releases/does-not-exist.json")).toThrow(/does not exist; write it with npm run promote/);
});

test("a release must pin every image by digest", () => {
    expect(releaseProblems({ from: "staging", sqlSha256: "x", images: { trino: "lakehouse/trino:latest" } })).toEqual([
        "'sqlSha256' is not a sha256",
        "no image 'flink-job'",
        "image 'trino' is not pinned by digest (<registry>/<repo>@sha256:...): lakehouse/trino:latest",
        "no image 'superset'",
        "no image 'generator'",
    ]);
});

test("promote turns a stack's outputs into a release, and refuses kind-local images", () => {
    const fixture = loadRelease("tests/unit/fixtures/release.json");
    expect(releaseFromOutputs("staging", { imageRefs: fixture.images, flinkSqlSha256: fixture.sqlSha256 })).toEqual(fixture);
    expect(() => releaseFromOutputs("dev", { imageRefs: { "flink-job": "lakehouse/flink-job:0123456789abcdef" }, flinkSqlSha256: fixture.sqlSha256 })).toThrow(/cannot be promoted/);
});
