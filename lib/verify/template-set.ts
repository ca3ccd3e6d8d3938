import * as fs from 'fs';

/**
 * A value of a synthesized template: a literal, a list, or an intrinsic function object. Templates
 * are untyped JSON, so the checks look into it field by field.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON has no type
export type CfnJson = any;

/** A CloudFormation resource as synthesized. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, CfnJson>;
}

/** One synthesized template and the stack it belongs to. */
export interface StackTemplate {
  /** The stack's construct path, named in messages. */
  readonly stackPath: string;
  /** The template file. */
  readonly templatePath: string;
  /** `account/region`, or a shared key for stacks whose environment is unknown at synth. */
  readonly accountKey: string;
  readonly resources: Record<string, TemplateResource>;
  readonly outputs: Record<string, CfnJson>;
  /** For a nested stack: its parent's template path and the logical id of its stack resource. */
  readonly parent?: NestedStackLink;
}

/** Where a nested stack's parameters are given values. */
export interface NestedStackLink {
  readonly templatePath: string;
  readonly logicalId: string;
}

/** A resource of one of the templates. */
export interface ResourceRef {
  readonly template: StackTemplate;
  readonly logicalId: string;
}

/** The stack of a template, as the app describes it. */
export interface TemplateSource {
  readonly stackPath: string;
  readonly templatePath: string;
  readonly accountKey: string;
  readonly parent?: NestedStackLink;
}

/**
 * Every template of the app, with the intrinsic functions that tie them together resolved:
 * `Ref`, `Fn::GetAtt` and `Fn::ImportValue` (an export of another template of the same account).
 * What cannot be resolved is reported as unknown, and each check decides what unknown means.
 */
export class TemplateSet {
  public readonly templates: StackTemplate[];

  constructor(sources: TemplateSource[]) {
    this.templates = sources.filter(s => fs.existsSync(s.templatePath)).map(s => {
      const body = JSON.parse(fs.readFileSync(s.templatePath, 'utf8'));
      return { ...s, resources: body.Resources ?? {}, outputs: body.Outputs ?? {} };
    });
  }

  /** Every resource of a type, in every template. */
  public resourcesOfType(type: string): ResourceRef[] {
    return this.templates.flatMap(template => Object.entries(template.resources)
      .filter(([, r]) => r.Type === type)
      .map(([logicalId]) => ({ template, logicalId })));
  }

  /** The resource behind a reference. */
  public resource(ref: ResourceRef): TemplateResource {
    return ref.template.resources[ref.logicalId];
  }

  /** The properties of a resource (never undefined). */
  public props(ref: ResourceRef): Record<string, CfnJson> {
    return this.resource(ref).Properties ?? {};
  }

  /**
   * The resource a value stands for (`Ref`, `Fn::GetAtt`, an import of either), or undefined
   * when the value is a literal or anything else.
   */
  public target(template: StackTemplate, value: CfnJson, depth = 0): ResourceRef | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 10) {
      return undefined;
    }
    if (typeof value.Ref === 'string') {
      if (value.Ref in template.resources) {
        return { template, logicalId: value.Ref };
      }
      const passed = this.parameterValue(template, value.Ref);
      return passed ? this.target(passed.template, passed.value, depth + 1) : undefined;
    }
    const getAtt = value['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const logicalId = Array.isArray(getAtt) ? getAtt[0] : String(getAtt).split('.')[0];
      return logicalId in template.resources ? { template, logicalId } : undefined;
    }
    const imported = this.importedValue(template, value);
    return imported ? this.target(imported.template, imported.value, depth + 1) : undefined;
  }

  /** A string known at synth time, or undefined. */
  public literal(template: StackTemplate, value: CfnJson, depth = 0): string | undefined {
    if (typeof value === 'string' || typeof value === 'number') {
      return String(value);
    }
    if (value && typeof value === 'object' && typeof value.Ref === 'string' && depth < 10) {
      const passed = this.parameterValue(template, value.Ref);
      return passed ? this.literal(passed.template, passed.value, depth + 1) : undefined;
    }
    const imported = depth < 10 ? this.importedValue(template, value) : undefined;
    return imported ? this.literal(imported.template, imported.value, depth + 1) : undefined;
  }

  /** A number known at synth time, or undefined. */
  public number(template: StackTemplate, value: CfnJson): number | undefined {
    const text = this.literal(template, value);
    return text !== undefined && text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : undefined;
  }

  /** Whether a value is neither a literal nor a reference that could be followed. */
  public isUnknown(template: StackTemplate, value: CfnJson): boolean {
    return this.literal(template, value) === undefined && this.target(template, value) === undefined;
  }

  /** Every resource a value refers to, at CfnJson depth (inside `Fn::Join`, `Fn::Sub` and the like). */
  public references(template: StackTemplate, value: CfnJson, depth = 0): ResourceRef[] {
    if (value === null || typeof value !== 'object' || depth > 20) {
      return [];
    }
    if (Array.isArray(value)) {
      return value.flatMap(v => this.references(template, v, depth + 1));
    }
    const direct = this.target(template, value);
    if (direct) {
      return [direct];
    }
    const imported = this.importedValue(template, value);
    if (imported) {
      return this.references(imported.template, imported.value, depth + 1);
    }
    const passed = typeof value.Ref === 'string' ? this.parameterValue(template, value.Ref) : undefined;
    if (passed) {
      return this.references(passed.template, passed.value, depth + 1);
    }
    const refs: ResourceRef[] = [];
    const sub = value['Fn::Sub'];
    if (sub !== undefined) {
      const text = Array.isArray(sub) ? sub[0] : sub;
      for (const match of String(text).matchAll(/\$\{([^}.!]+)(?:\.[^}]*)?\}/g)) {
        if (match[1] in template.resources) {
          refs.push({ template, logicalId: match[1] });
        }
      }
    }
    return [...refs, ...Object.values(value).flatMap(v => this.references(template, v, depth + 1))];
  }

  /** Whether two references are the same resource. */
  public static same(a: ResourceRef | undefined, b: ResourceRef | undefined): boolean {
    return a !== undefined && b !== undefined && a.template === b.template && a.logicalId === b.logicalId;
  }

  /** Where a reference points, for messages. */
  public static describe(ref: ResourceRef): string {
    return `${ref.template.stackPath}/${ref.logicalId}`;
  }

  /** The value a parent stack passes to a nested stack's parameter. */
  private parameterValue(template: StackTemplate, name: string): { template: StackTemplate; value: CfnJson } | undefined {
    const link = template.parent;
    const parent = link ? this.templates.find(t => t.templatePath === link.templatePath) : undefined;
    const value = parent?.resources[link!.logicalId]?.Properties?.Parameters?.[name];
    return parent && value !== undefined ? { template: parent, value } : undefined;
  }

  /** The value behind `Fn::ImportValue`, taken from the output that exports it. */
  private importedValue(template: StackTemplate, value: CfnJson): { template: StackTemplate; value: CfnJson } | undefined {
    if (value === null || typeof value !== 'object' || value['Fn::ImportValue'] === undefined) {
      return undefined;
    }
    const name = this.literal(template, value['Fn::ImportValue']);
    if (name === undefined) {
      return undefined;
    }
    for (const other of this.templates) {
      if (other.accountKey !== template.accountKey) {
        continue;
      }
      for (const output of Object.values(other.outputs)) {
        if (output?.Export && this.literal(other, output.Export.Name) === name) {
          return { template: other, value: output.Value };
        }
      }
    }
    return undefined;
  }
}

/** A property that CloudFormation accepts as one value or a list, as a list. */
export function asList(value: CfnJson): CfnJson[] {
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}
