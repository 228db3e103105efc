import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labels } from "./k8s";

export interface FlinkJobServiceAccountArgs {
    namespace: pulumi.Input<string>;
    /** Name of the account (and its Role); the FlinkDeployment's `spec.serviceAccount`. */
    name?: string;
    /** IRSA: the IAM role the account carries (to reach an S3 warehouse). */
    roleArn?: string;
}

/**
 * The identity a Flink job runs as, for clusters where the operator is pre-installed: the operator's
 * chart creates this account only in the namespaces it was told about at install time, so the stack
 * brings its own. The JobManager needs to start and stop its TaskManager pods, keep Kubernetes HA
 * leader records in ConfigMaps, and read its own Deployment (the TaskManagers' owner); nothing else.
 */
export class FlinkJobServiceAccount extends pulumi.ComponentResource {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly name: pulumi.Output<string>;

    constructor(name: string, args: FlinkJobServiceAccountArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:FlinkJobServiceAccount", name, {}, opts);
        const accountName = args.name ?? "flink";
        const meta = { name: accountName, namespace: args.namespace, labels: labels("flink", name).all };
        this.serviceAccount = new k8s.core.v1.ServiceAccount(
            name,
            { metadata: { ...meta, annotations: args.roleArn ? { "eks.amazonaws.com/role-arn": args.roleArn } : undefined } },
            { parent: this },
        );
        const change = ["get", "list", "watch", "create", "update", "patch", "delete"];
        const role = new k8s.rbac.v1.Role(
            name,
            {
                metadata: meta,
                rules: [
                    { apiGroups: [""], resources: ["pods", "configmaps"], verbs: change },
                    { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
                    { apiGroups: ["apps"], resources: ["deployments/finalizers"], verbs: ["update"] },
                ],
            },
            { parent: this },
        );
        new k8s.rbac.v1.RoleBinding(
            name,
            {
                metadata: meta,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
                subjects: [{ kind: "ServiceAccount", name: this.serviceAccount.metadata.name, namespace: args.namespace }],
            },
            { parent: this },
        );
        this.name = this.serviceAccount.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}
