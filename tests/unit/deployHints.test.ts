import { parseConfig } from "../../components/config";
import { failureHints } from "../../scripts/deployHints";

/** What `npm run up` adds when a resource was created but never became ready. */

const cfg = parseConfig({ "lakehouse:target": "kind", "lakehouse:flinkOperator": JSON.stringify({ install: false }) });
const fd = (status: Record<string, unknown>) => ({
    urn: "urn:pulumi:dev::streaming-lakehouse::lakehouse:index:FlinkPipeline$kubernetes:flink.apache.org/v1beta1:FlinkDeployment::pipeline",
    type: "kubernetes:flink.apache.org/v1beta1:FlinkDeployment",
    outputs: { metadata: { name: "sales-by-product", namespace: "lakehouse" }, status },
    initErrors: ["timed out waiting for the condition"],
});

test("nothing to say when every resource initialized", () => {
    expect(failureHints([{ ...fd({}), initErrors: [] }], cfg)).toEqual([]);
});

test("a FlinkDeployment no operator reconciled: the timeout, the pre-installed operator to check, where to look", () => {
    const [hint] = failureHints([fd({})], cfg);
    expect(hint).toMatch(/The Flink job lakehouse\/sales-by-product did not report RUNNING within 900 s \(lakehouse:flink.startTimeoutSeconds\)/);
    expect(hint).toMatch(/cluster's own Flink operator must be running and watching namespace lakehouse/);
    expect(hint).toMatch(/kubectl --context kind-lakehouse -n lakehouse describe flinkdeployment sales-by-product/);
});

test("a job the operator reports failed: its error and the JobManager's log", () => {
    const [hint] = failureHints([fd({ lifecycleState: "DEPLOYED", jobStatus: { state: "FAILED" }, error: "Statement 3 failed" })], cfg);
    expect(hint).toMatch(/lifecycle DEPLOYED, job FAILED: Statement 3 failed/);
    expect(hint).toMatch(/logs deploy\/sales-by-product/);
});

test("any other resource: its kind, name, error and the describe command", () => {
    const job = { urn: "u", type: "kubernetes:batch/v1:Job", outputs: { metadata: { name: "superset-init-1", namespace: "lakehouse" } }, initErrors: ["Job failed"] };
    expect(failureHints([job], cfg)).toEqual(["Job lakehouse/superset-init-1 did not become ready (Job failed). See: kubectl --context kind-lakehouse -n lakehouse describe job superset-init-1"]);
});
