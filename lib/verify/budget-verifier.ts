import * as fs from 'fs';
import * as path from 'path';
import * as cdk from 'aws-cdk-lib';
import { attachCustomSynthesis, CfnElement, IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1, PolicyViolationBeta1, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { functionNetwork, reservedConcurrencyOf, readConsumerFacts } from './consumer-facts';
import { DatabaseFacts, readDatabaseFacts, vpcKeyOfDatabase } from './database-facts';
import { isHttpConsumer } from './http-consumers';
import { dataApiGrant, loginGrant } from './login-check';
import { reachedDoor } from './reach-check';
import { ResourceRef, TemplateSet } from './template-set';
import { AllocationKind, BudgetAllocation } from '../budget/allocation';
import { renderBudgetSvg } from '../budget/budget-svg';
import { renderBudgetTable } from '../budget/budget-table';
import { BudgetPlan } from '../budget/budget-plan';
import { ConnectionBudget } from '../budget/connection-budget';
import { DatabaseEngineFamily } from '../budget/engine-family';
import { accountKey, accountUsage, hasUnresolvedEnvironment } from '../functions/account-concurrency';
import { wiredFunctionInfo } from '../functions/wired-registry';

/** What a database construct tells the check: its budget and where its resources are. */
export interface DatabaseDeclaration {
  /** The database construct, named in the report. */
  readonly construct: IConstruct;
  readonly budget: ConnectionBudget;
  readonly engine: DatabaseEngineFamily;
  /** The instance, when the app creates it; the check then reads its figures from the template. */
  readonly instance?: CfnElement;
  readonly proxy?: CfnElement;
  /** Security groups of a pooler that is not RDS Proxy (PgBouncer's load balancer): doors too. */
  readonly poolerSecurityGroups?: CfnElement[];
  /** The proxy endpoint the database's functions use, when it is not the proxy's default one. */
  readonly proxyEndpoint?: CfnElement;
  /**
   * More instances the budget stands for (the readers behind a read-only endpoint): the check
   * takes the smallest `max_connections` of them and `instance`.
   */
  readonly alsoInstances?: CfnElement[];
  /**
   * The VPC of a database the app does not create (its figures are the budget's declared ones,
   * checked at deploy time by its guard).
   */
  readonly vpc?: ec2.IVpc;
  /** The file the budget as deployed is written to. */
  artifactFile(): string;
  /** More the database writes into the budget file (its users, say). */
  artifactExtras?(): Record<string, unknown>;
}

/** A function the budget of a database counts, and the line it is counted on. */
interface CountedFunction {
  readonly ref: ResourceRef;
  readonly name: string;
  readonly kind: AllocationKind;
  readonly connectionsPerEnvironment: number;
  /** Whether its cap in the template is the share the budget computed. */
  readonly shared: boolean;
}

const VERIFIERS = new WeakMap<IConstruct, BudgetVerifier>();

/**
 * Checks the synthesized CloudFormation of the whole app, after every Aspect and override, against
 * the connection budget of every database: what the templates deploy must fit the database that
 * the templates deploy, and every function that can log in to a database and reach it must be
 * counted in its budget. Registered once per app as a policy-validation plugin.
 */
export class BudgetVerifier implements IPolicyValidationPluginBeta1 {
  /** Enters a database in the check of its app. */
  public static register(declaration: DatabaseDeclaration): void {
    const app = declaration.construct.node.root;
    let verifier = VERIFIERS.get(app);
    if (!verifier) {
      verifier = new BudgetVerifier(app);
      VERIFIERS.set(app, verifier);
      addPlugin(app, verifier);
    }
    verifier.databases.push(declaration);
    // The check writes the budget files after the templates. aws-cdk-lib refuses a validation
    // plugin that changes a file already in the cloud assembly (always in some versions, such as
    // 2.269, and with `confirmValidationPluginsDoNotMutate`), so an earlier synth's files go first.
    attachCustomSynthesis(declaration.construct, {
      onSynthesize: () => {
        const file = declaration.artifactFile();
        for (const stale of [file, file.replace(/\.json$/, '.svg')]) {
          fs.rmSync(stale, { force: true });
        }
      },
    });
  }

  public readonly name = 'cdk-serverless-rds';
  public readonly version = '1';
  public readonly ruleIds = ['ConnectionBudget', 'SharedAccount', 'BudgetDrift'];
  private readonly databases: DatabaseDeclaration[] = [];

  private constructor(private readonly app: IConstruct) {}

  public validate(_context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const stacks = this.app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
    const templatePath = (stack: Stack) => path.join(Stage.of(stack)!.outdir, stack.templateFile);
    const templates = new TemplateSet(stacks.map(stack => ({
      stackPath: stack.node.path,
      templatePath: templatePath(stack),
      accountKey: accountKey(stack),
      parent: stack.nestedStackParent && stack.nestedStackResource ? {
        templatePath: templatePath(stack.nestedStackParent),
        logicalId: stack.nestedStackParent.resolve((stack.nestedStackResource as CfnElement).logicalId),
      } : undefined,
    })));
    const locate = (element: CfnElement): ResourceRef | undefined => {
      const stack = Stack.of(element);
      const template = templates.templates.find(t => t.stackPath === stack.node.path);
      const logicalId = stack.resolve(element.logicalId);
      return template && template.resources[logicalId] ? { template, logicalId } : undefined;
    };
    const violations: PolicyViolationBeta1[] = [];
    for (const database of this.databases) {
      violations.push(...this.verifyDatabase(database, templates, locate));
    }
    violations.push(...this.sharedAccountWarnings(stacks));
    return { success: !violations.some(v => v.severity !== 'warning'), violations };
  }

  private verifyDatabase(database: DatabaseDeclaration, templates: TemplateSet, locate: (e: CfnElement) => ResourceRef | undefined): PolicyViolationBeta1[] {
    const home = templates.templates.find(t => t.stackPath === Stack.of(database.construct).node.path);
    if (!home) {
      return [];
    }
    const located = database.instance ? locate(database.instance) : undefined;
    if (database.instance && !located) {
      return [];
    }
    const proxy = database.proxy ? locate(database.proxy) : undefined;
    const proxyEndpoint = database.proxyEndpoint ? locate(database.proxyEndpoint) : undefined;
    const read = located
      ? readDatabaseFacts(templates, database.engine, located, proxy, proxyEndpoint)
      : declaredFacts(templates, database, home);
    const poolerDoors = (database.poolerSecurityGroups ?? []).map(locate).filter((g): g is ResourceRef => g !== undefined);
    let facts: DatabaseFacts = poolerDoors.length > 0 ? { ...read, proxySecurityGroups: [...read.proxySecurityGroups, ...poolerDoors] } : read;
    const instance: ResourceRef = located ?? { template: home, logicalId: '' };
    const smallest = smallestOfInstances(templates, database, locate, facts);
    if (smallest) {
      facts = { ...facts, ...smallest };
    }
    const title = `${database.construct.node.path}, as synthesized`;
    const problems: string[] = [...facts.unknowns.map(u => `The check could not read the template: ${u}.`)];
    let budget: ConnectionBudget;
    try {
      budget = database.budget._rebuild(facts.maxConnections ?? database.budget.maxConnections, facts.maxConnectionsSource, facts.proxyMaxConnectionsPercent);
    } catch (e) {
      return [this.violation('ConnectionBudget', `${title}: ${(e as Error).message}`, [instance])];
    }
    const databaseVpc = vpcKeyOfDatabase(facts);
    const counted = this.countedFunctions(database, locate);
    const offenders: ResourceRef[] = [];
    for (const fn of counted) {
      const consumer = readConsumerFacts(templates, fn.ref, fn.connectionsPerEnvironment, databaseVpc, database.construct.node.path);
      const kind = consumer.managedInstances ? AllocationKind.MANAGED_INSTANCES : fn.kind;
      budget._addTemplateClaim(fn.name, kind, consumer.environments ?? 0, consumer.connectionsPerEnvironment, fn.shared);
      if (consumer.problems.length > 0) {
        problems.push(...consumer.problems);
        offenders.push(fn.ref);
      }
    }
    const reservationConsumers = this.reservationConsumers(database, templates, locate, databaseVpc, problems, offenders);
    const countedRefs = [...counted.map(c => c.ref), ...reservationConsumers];
    for (const fn of templates.resourcesOfType('AWS::Lambda::Function')) {
      if (countedRefs.some(c => TemplateSet.same(c, fn))) {
        continue;
      }
      const problem = uncountedClient(templates, facts, fn, database.construct.node.path);
      if (problem) {
        problems.push(problem);
        offenders.push(fn);
      }
    }
    const reservedElsewhere = templates.resourcesOfType('AWS::Lambda::Function')
      .filter(fn => fn.template.accountKey === instance.template.accountKey && !counted.some(c => c.kind !== AllocationKind.MANAGED_INSTANCES && TemplateSet.same(c.ref, fn)))
      .reduce((total, fn) => total + reservedConcurrencyOf(templates, fn), 0);
    const computed = budget.plan({ reservedElsewhere });
    if (facts.proxyMaxIdleConnectionsPercent !== undefined && facts.proxyMaxConnectionsPercent !== undefined
      && facts.proxyMaxIdleConnectionsPercent > facts.proxyMaxConnectionsPercent) {
      problems.push(`The proxy's MaxIdleConnectionsPercent (${facts.proxyMaxIdleConnectionsPercent}) exceeds its MaxConnectionsPercent (${facts.proxyMaxConnectionsPercent}): RDS rejects it.`);
    }
    const plan: BudgetPlan = { ...computed, problems: [...computed.problems, ...problems] };
    const drift = driftLines(database.budget.plan(accountUsage(database.construct, database.budget)), plan);
    writeArtifact(database.artifactFile(), database.construct.node.path, plan, drift, database.artifactExtras?.() ?? {});

    const table = renderBudgetTable(plan, title);
    const driftText = drift.length > 0 ? `\n  Differences from what the budget declared (overrides, Aspects, escape hatches):\n${drift.map(d => `  - ${d}`).join('\n')}` : '';
    if (plan.problems.length > 0) {
      return [this.violation(
        'ConnectionBudget',
        `The synthesized templates do not fit the connection budget of ${database.construct.node.path}.\n${table}${driftText}`,
        [instance, ...offenders],
      )];
    }
    if (drift.length > 0) {
      return [{ ...this.violation('BudgetDrift', `The templates of ${database.construct.node.path} differ from what its budget declared, and still fit.\n${table}${driftText}`, [instance]), severity: 'warning' }];
    }
    return [];
  }

  /** Functions wired to this database, found by the L1 each wiring recorded. */
  private countedFunctions(database: DatabaseDeclaration, locate: (e: CfnElement) => ResourceRef | undefined): CountedFunction[] {
    const counted: CountedFunction[] = [];
    for (const cfn of this.app.node.findAll()) {
      if (!(cfn instanceof lambda.CfnFunction)) {
        continue;
      }
      const wired = wiredFunctionInfo(cfn);
      const ref = wired?.budget === database.budget ? locate(cfn) : undefined;
      if (wired && ref) {
        counted.push({ ref, name: wired.name, kind: wired.kind, connectionsPerEnvironment: wired.connectionsPerEnvironment, shared: wired.shared });
      }
    }
    return counted;
  }

  /** Functions standing behind a reservation must fit in it. */
  private reservationConsumers(
    database: DatabaseDeclaration, templates: TemplateSet, locate: (e: CfnElement) => ResourceRef | undefined,
    databaseVpc: string | undefined, problems: string[], offenders: ResourceRef[],
  ): ResourceRef[] {
    const refs: ResourceRef[] = [];
    for (const reservation of database.budget._reservationConsumers()) {
      let total = 0;
      for (const fn of reservation.consumers) {
        const cfn = fn.node.defaultChild;
        const ref = cfn instanceof lambda.CfnFunction ? locate(cfn) : undefined;
        if (!ref) {
          continue;
        }
        refs.push(ref);
        const consumer = readConsumerFacts(templates, ref, 1, databaseVpc, database.construct.node.path, isHttpConsumer(cfn as lambda.CfnFunction));
        problems.push(...consumer.problems);
        total += (consumer.environments ?? 0) * consumer.connectionsPerEnvironment;
        if (consumer.problems.length > 0) {
          offenders.push(ref);
        }
      }
      if (total > reservation.connections) {
        problems.push(
          `The functions behind the reservation '${reservation.name}' may hold ${total} connections (reserved concurrency x connections ` +
          `per invocation) but it reserves ${reservation.connections}: raise the reservation or lower their reserved concurrency.`,
        );
      }
    }
    return refs;
  }

  /** Stacks without an explicit environment are checked as one account: say so once. */
  private sharedAccountWarnings(stacks: Stack[]): PolicyViolationBeta1[] {
    const agnostic = stacks.filter(s => !s.nested && hasUnresolvedEnvironment(s));
    const withDatabase = this.databases.some(d => hasUnresolvedEnvironment(Stack.of(d.construct)));
    if (!withDatabase || agnostic.length < 2) {
      return [];
    }
    return [{
      ruleName: 'SharedAccount',
      description:
        `${agnostic.length} stacks have no explicit account or region (${agnostic.map(s => s.node.path).join(', ')}); their reserved ` +
        'concurrency is checked as if they all deploy to one account and region.',
      fix: 'Give each stack an `env` with its account and region so that the check knows which stacks share an account.',
      severity: 'warning',
      violatingResources: [],
    }];
  }

  private violation(ruleName: string, description: string, resources: ResourceRef[]): PolicyViolationBeta1 {
    return {
      ruleName,
      description,
      fix: 'Follow the problems listed in the table: each names its cause and the change that fixes it.',
      severity: 'error',
      violatingResources: resources.filter(r => r.logicalId !== '').map(r => ({ resourceLogicalId: r.logicalId, templatePath: r.template.templatePath, locations: [] })),
    };
  }
}

/**
 * A database the app does not create: its declared figures, its VPC, and no doors the templates
 * could show (the search for clients outside the budget needs the database's security groups).
 */
function declaredFacts(templates: TemplateSet, database: DatabaseDeclaration, home: ResourceRef['template']): DatabaseFacts {
  const plan = database.budget.plan();
  const vpcId = database.vpc ? Stack.of(database.construct).resolve(database.vpc.vpcId) : undefined;
  return {
    instance: { template: home, logicalId: '' },
    maxConnections: database.budget.maxConnections,
    maxConnectionsSource: 'declared maxConnections of the existing instance',
    proxyMaxConnectionsPercent: plan.proxyMaxConnectionsPercent,
    instanceSecurityGroups: [],
    proxySecurityGroups: [],
    vpc: vpcId !== undefined ? templates.target(home, vpcId) : undefined,
    vpcLiteral: vpcId !== undefined ? templates.literal(home, vpcId) : undefined,
    secrets: [],
    unknowns: [],
  };
}

/** The smallest max_connections among the other instances a budget stands for, when smaller. */
function smallestOfInstances(
  templates: TemplateSet, database: DatabaseDeclaration, locate: (e: CfnElement) => ResourceRef | undefined, facts: DatabaseFacts,
): Pick<DatabaseFacts, 'maxConnections' | 'maxConnectionsSource'> | undefined {
  let best: Pick<DatabaseFacts, 'maxConnections' | 'maxConnectionsSource'> | undefined;
  for (const element of database.alsoInstances ?? []) {
    const ref = locate(element);
    const other = ref ? readDatabaseFacts(templates, database.engine, ref, undefined) : undefined;
    const current = best?.maxConnections ?? facts.maxConnections;
    if (other?.maxConnections !== undefined && (current === undefined || other.maxConnections < current)) {
      best = { maxConnections: other.maxConnections, maxConnectionsSource: `${other.maxConnectionsSource} of ${ref!.logicalId}` };
    }
  }
  return best;
}

/** A function outside the budget that can both log in to the database and reach it. */
function uncountedClient(templates: TemplateSet, facts: DatabaseFacts, fn: ResourceRef, databasePath: string): string | undefined {
  const props = templates.props(fn);
  const network = functionNetwork(templates, fn);
  const door = reachedDoor(templates, facts, network.template, network.vpcConfig)
    // The Data API needs no network path: a role that may run statements on the cluster gets in over HTTPS.
    ?? (facts.dataApi && dataApiGrant(templates, facts, fn.template, props.Role) ? 'Data API' : undefined);
  if (!door) {
    return undefined;
  }
  const login = loginGrant(templates, facts, fn.template, props.Role);
  if (!login) {
    return undefined;
  }
  return (
    `Function ${TemplateSet.describe(fn)} can reach the ${door} of ${databasePath} and log in (${login}), but the connection ` +
    'budget does not count it: wire it with db.connectFunction(fn) (or create it with db.addFunction()), or reserve its ' +
    "connections with db.budget.reserve('name', connections, { consumers: [fn] })."
  );
}

/** What the templates changed, line by line. */
function driftLines(declared: BudgetPlan, deployed: BudgetPlan): string[] {
  const lines: string[] = [];
  if (declared.maxConnections !== deployed.maxConnections) {
    lines.push(`max_connections is ${deployed.maxConnections} in the template (${deployed.maxConnectionsSource}); the budget counted ${declared.maxConnections}`);
  }
  if (declared.proxyMaxConnectionsPercent !== deployed.proxyMaxConnectionsPercent) {
    lines.push(`the proxy's MaxConnectionsPercent is ${deployed.proxyMaxConnectionsPercent} in the template; the budget computed ${declared.proxyMaxConnectionsPercent}`);
  }
  const key = (a: BudgetAllocation) => `${a.kind === AllocationKind.RESERVATION ? 'r' : 'f'}:${a.name}`;
  const before = new Map(declared.allocations.map(a => [key(a), a]));
  for (const a of deployed.allocations) {
    const b = before.get(key(a));
    if (!b || a.kind === AllocationKind.RESERVATION) {
      continue;
    }
    if (b.environments !== a.environments) {
      lines.push(`${a.name}: ${a.environments} execution environments in the template; the budget counted ${b.environments}`);
    }
    if (b.connectionsPerInvocation !== a.connectionsPerInvocation) {
      lines.push(`${a.name}: ${a.connectionsPerInvocation} connections per environment in the template; the budget counted ${b.connectionsPerInvocation}`);
    }
  }
  return lines;
}

/** The budget as deployed, as JSON and as a picture beside it. */
function writeArtifact(file: string, database: string, plan: BudgetPlan, drift: string[], extras: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ database, source: 'synthesized templates', ...plan, drift, ...extras }, undefined, 2));
  fs.writeFileSync(file.replace(/\.json$/, '.svg'), renderBudgetSvg(plan, database));
}

/** `Validations.of(app).addPlugins()` where aws-cdk-lib has it, the stage's plugin list before. */
function addPlugin(app: IConstruct, plugin: IPolicyValidationPluginBeta1): void {
  const validations = (cdk as { Validations?: { of(scope: IConstruct): { addPlugins(...plugins: IPolicyValidationPluginBeta1[]): void } } }).Validations;
  if (validations?.of) {
    validations.of(app).addPlugins(plugin);
  } else {
    (app as unknown as { policyValidationBeta1: IPolicyValidationPluginBeta1[] }).policyValidationBeta1.push(plugin);
  }
}
