import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { flinkOperatorChartRepo, flinkOperatorVersion, repoRoot } from "./versions";

export interface FlinkOperatorArgs {
    /** Namespace the operator itself runs in. */
    namespace: pulumi.Input<string>;
    /** Namespaces whose FlinkDeployments it manages (it gets RBAC and a `flink` account there). */
    watchNamespaces: pulumi.Input<string>[];
    version?: string;
    /**
     * Where the chart comes from: a Helm repository URL (default: Apache's repository of `version`),
     * an OCI reference (`oci://.../flink-kubernetes-operator`), or a vendored chart (a directory or
     * `.tgz`, absolute or relative to the project), for clusters that cannot reach Apache's site.
     */
    chart?: string;
    /** IRSA: the IAM role the jobs' `flink` service account carries (to reach an S3 warehouse). */
    jobRoleArn?: string;
}

export const operatorValuesFile = path.join(repoRoot, "charts", "flink-kubernetes-operator", "values.yaml");
export const operatorChartName = "flink-kubernetes-operator";

/** The `helm.v4.Chart` fields that say where the chart is, for each kind of location. */
export function chartSource(location: string, version: string): Pick<k8s.helm.v4.ChartArgs, "chart" | "version" | "repositoryOpts"> {
    if (/^https?:\/\//.test(location)) return { chart: operatorChartName, version, repositoryOpts: { repo: location } };
    if (location.startsWith("oci://")) return { chart: location, version };
    // A vendored chart carries its own version.
    return { chart: path.resolve(repoRoot, location) };
}

/**
 * The Apache Flink Kubernetes Operator from its Helm chart. helm.v4.Chart renders it in the
 * program, so its CRDs are applied before anything uses them and every object shows in the diff.
 * Clusters whose platform team runs the operator already set `flinkOperator.install: false`, and the
 * program uses theirs (see FlinkJobServiceAccount).
 */
export class FlinkOperator extends pulumi.ComponentResource {
    readonly chart: k8s.helm.v4.Chart;
    readonly version: string;

    constructor(name: string, args: FlinkOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:FlinkOperator", name, {}, opts);
        this.version = args.version ?? flinkOperatorVersion;
        const values = YAML.parse(fs.readFileSync(operatorValuesFile, "utf8"));
        this.chart = new k8s.helm.v4.Chart(
            name,
            {
                ...chartSource(args.chart ?? flinkOperatorChartRepo(this.version), this.version),
                namespace: args.namespace,
                values: {
                    ...values,
                    image: { ...values.image, tag: this.version },
                    ...(args.jobRoleArn
                        ? { jobServiceAccount: { ...values.jobServiceAccount, annotations: { ...values.jobServiceAccount?.annotations, "eks.amazonaws.com/role-arn": args.jobRoleArn } } }
                        : {}),
                    watchNamespaces: args.watchNamespaces,
                },
            },
            { parent: this },
        );
        this.registerOutputs({ version: this.version });
    }
}
