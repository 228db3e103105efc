import * as pulumi from "@pulumi/pulumi";
import { S3Location } from "./objectStore";

export interface ExistingBucketArgs {
    bucket: string;
    region: string;
    /** The IAM role (IRSA) that may read and write the bucket; pods assume it, no keys exist. */
    roleArn: string;
    /** Defaults to the region's AWS endpoint. */
    endpoint?: string;
}

/**
 * An S3 bucket that already exists (created and governed outside this program, e.g. with its
 * lifecycle and encryption rules), presented with the same outputs as the in-cluster MinIO.
 */
export class ExistingBucket extends pulumi.ComponentResource {
    readonly location: S3Location;

    constructor(name: string, args: ExistingBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lakehouse:index:ExistingBucket", name, {}, opts);
        this.location = {
            endpoint: pulumi.output(args.endpoint || `https://s3.${args.region}.amazonaws.com`),
            region: pulumi.output(args.region),
            bucket: pulumi.output(args.bucket),
            pathStyle: false,
            roleArn: args.roleArn,
        };
        this.registerOutputs({ bucket: this.location.bucket, endpoint: this.location.endpoint });
    }
}
