import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { chartSource } from "../../components/flinkOperator";
import { kubeContexts, pulumiEnv, sdkVersion } from "../../scripts/pulumiCli";

/** What `npm run up` needs to deploy to any existing cluster context. */

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "deploy-"));

test("the CLI the launcher runs is the SDK's release, unless the user picks one", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8"));
    expect(sdkVersion()).toBe(pkg.dependencies["@pulumi/pulumi"]);
    expect(pulumiEnv({}, tmp()).PULUMI_VERSION).toBe(sdkVersion());
    expect(pulumiEnv({ PULUMI_VERSION: "3.999.0" }, tmp()).PULUMI_VERSION).toBe("3.999.0");
});

test("existing contexts come from every file in KUBECONFIG", () => {
    const dir = tmp();
    const a = path.join(dir, "a");
    const b = path.join(dir, "b");
    fs.writeFileSync(a, YAML.stringify({ contexts: [{ name: "kind-lakehouse" }] }));
    fs.writeFileSync(b, YAML.stringify({ contexts: [{ name: "staging" }, { name: "other" }] }));
    expect(kubeContexts({ KUBECONFIG: `${a}${path.delimiter}${b}` })).toEqual(["kind-lakehouse", "staging", "other"]);
    expect(kubeContexts({ KUBECONFIG: path.join(dir, "none") })).toEqual([]);
});

test("the operator chart location: a Helm repository, an OCI reference or a vendored chart", () => {
    expect(chartSource("https://mirror.example.com/flink/", "1.15.0")).toEqual({
        chart: "flink-kubernetes-operator",
        version: "1.15.0",
        repositoryOpts: { repo: "https://mirror.example.com/flink/" },
    });
    expect(chartSource("oci://registry.example.com/charts/flink-kubernetes-operator", "1.15.0")).toEqual({
        chart: "oci://registry.example.com/charts/flink-kubernetes-operator",
        version: "1.15.0",
    });
    const vendored = chartSource("charts/vendor/flink-kubernetes-operator-1.15.0.tgz", "1.15.0");
    expect(vendored).toEqual({ chart: path.resolve(__dirname, "../..", "charts/vendor/flink-kubernetes-operator-1.15.0.tgz") });
});
