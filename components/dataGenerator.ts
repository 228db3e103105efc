import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GeneratorSettings } from "./config";
import { containerSecurity, labels, plainEnv, podSecurity, resources, SecretKeyRef, secretEnv } from "./k8s";

export interface DataGeneratorArgs {
    namespace: pulumi.Input<string>;
    image: pulumi.Input<string>;
    settings: GeneratorSettings;
    mysql: { host: pulumi.Input<string>; port: number; database: string; user: string; password: SecretKeyRef };
}

/** The application stand-in: a Deployment running generator/main.ts against appdb as the app user. */
export class DataGenerator extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;

    constructor(name: string, args: DataGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:DataGenerator", name, {}, opts);
        const lbl = labels("data-generator", name);
        const s = args.settings;
        this.deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { name, namespace: args.namespace, labels: lbl.all },
                spec: {
                    // One writer: two would double the configured rate.
                    replicas: s.enabled ? 1 : 0,
                    selector: { matchLabels: lbl.selector },
                    template: {
                        metadata: { labels: lbl.all },
                        spec: {
                            // uid 1000 is the node image's `node` user.
                            securityContext: podSecurity(1000),
                            containers: [
                                {
                                    name: "generator",
                                    image: args.image,
                                    imagePullPolicy: "IfNotPresent",
                                    env: [
                                        ...plainEnv({
                                            MYSQL_HOST: args.mysql.host,
                                            MYSQL_PORT: String(args.mysql.port),
                                            MYSQL_DATABASE: args.mysql.database,
                                            MYSQL_USER: args.mysql.user,
                                            GENERATOR_PRODUCTS: String(s.products),
                                            GENERATOR_SALES_PER_SECOND: String(s.salesPerSecond),
                                            GENERATOR_UPDATE_RATIO: String(s.updateRatio),
                                            GENERATOR_DELETE_RATIO: String(s.deleteRatio),
                                            GENERATOR_RENAME_RATIO: String(s.renameRatio),
                                            GENERATOR_PROFILE: s.profile,
                                            GENERATOR_CONNECTIONS: String(s.connections),
                                            GENERATOR_BURST: String(s.burst),
                                            GENERATOR_TX_RATIO: String(s.txRatio),
                                            GENERATOR_ROLLBACK_RATIO: String(s.rollbackRatio),
                                            GENERATOR_BULK_RATIO: String(s.bulkRatio),
                                            GENERATOR_EXTREME_RATIO: String(s.extremeRatio),
                                            GENERATOR_CHURN_RATIO: String(s.churnRatio),
                                            GENERATOR_BULK_ROWS: String(s.bulkRows),
                                        }),
                                        secretEnv("MYSQL_PASSWORD", args.mysql.password),
                                    ],
                                    resources: resources(s.resources),
                                    securityContext: { ...containerSecurity, readOnlyRootFilesystem: true },
                                },
                            ],
                        },
                    },
                },
            },
            { parent: this },
        );
        this.registerOutputs({ deployment: this.deployment.metadata.name });
    }
}
