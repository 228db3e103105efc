import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import * as YAML from "yaml";
import { one, ProgramRun } from "./program";

/** The FlinkDeployment CRD of operator 1.15.0, as CI has it beside the project. */
const crdFile = path.resolve(__dirname, "../../../shared/schemas/flinkdeployments.flink.apache.org-v1.yml");

/**
 * The CRD's schema, made strict the way the API server's strict field validation is: an object
 * that lists its properties accepts no others unless it preserves unknown fields.
 */
function strictSchema(schema: any): any {
    if (Array.isArray(schema)) return schema.map(strictSchema);
    if (!schema || typeof schema !== "object") return schema;
    const out: any = {};
    for (const [k, v] of Object.entries(schema)) out[k] = k === "enum" || k === "required" ? v : strictSchema(v);
    if (out.properties && !out["x-kubernetes-preserve-unknown-fields"] && out.additionalProperties === undefined) {
        out.additionalProperties = false;
    }
    return out;
}

export function crdValidator() {
    const crd = YAML.parse(fs.readFileSync(crdFile, "utf8"));
    const version = crd.spec.versions.find((v: any) => v.name === "v1beta1");
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addKeyword("x-kubernetes-preserve-unknown-fields");
    ajv.addKeyword("x-kubernetes-int-or-string");
    const schema = strictSchema(version.schema.openAPIV3Schema);
    // apiVersion, kind and metadata are the API server's own, not listed in a CRD's schema.
    delete schema.additionalProperties;
    return ajv.compile(schema);
}

/** Schema errors of the run's FlinkDeployment; empty when the API server would accept it. */
export function flinkDeploymentFailures(run: ProgramRun): string[] {
    const fd = one(run, "kubernetes:flink.apache.org/v1beta1:FlinkDeployment", "pipeline");
    const validate = crdValidator();
    validate({ apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", metadata: fd.inputs.metadata, spec: fd.inputs.spec });
    return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
