import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { flinkOperatorVersion, repoRoot } from "./versions";

export interface FlinkOperatorArgs {
    /** Namespace the operator itself runs in. */
    namespace: pulumi.Input<string>;
    /** Namespaces whose FlinkDeployments it manages (it gets RBAC and a `flink` account there). */
    watchNamespaces: pulumi.Input<string>[];
    version?: string;
    /** IRSA: the IAM role the jobs' `flink` service account carries (to reach an S3 warehouse). */
    jobRoleArn?: string;
}

export const operatorValuesFile = path.join(repoRoot, "charts", "flink-kubernetes-operator", "values.yaml");

export function operatorChartRepo(version: string): string {
    return `https://downloads.apache.org/flink/flink-kubernetes-operator-${version}/`;
}

/**
 * The Apache Flink Kubernetes Operator from its Helm chart. helm.v4.Chart renders it in the
 * program, so its CRDs are applied before anything uses them and every object shows in the diff.
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
                chart: "flink-kubernetes-operator",
                version: this.version,
                repositoryOpts: { repo: operatorChartRepo(this.version) },
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
