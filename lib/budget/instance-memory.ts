/**
 * Nominal memory of RDS DB instance classes, in GiB.
 *
 * Source: AWS RDS User Guide, "Hardware specifications for DB instance classes"
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Summary.html).
 * Burstable classes double from 1 GiB (micro); general purpose (m) classes have 4 GiB per vCPU
 * and memory optimized (r) classes 8 GiB per vCPU.
 */

const BURSTABLE_SIZES: Record<string, number> = {
  'micro': 1, 'small': 2, 'medium': 4, 'large': 8, 'xlarge': 16, '2xlarge': 32,
};

const VCPUS: Record<string, number> = {
  'large': 2, 'xlarge': 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32,
  '12xlarge': 48, '16xlarge': 64, '24xlarge': 96, '32xlarge': 128,
};

/** Sizes RDS offers for each family (the largest differ between generations). */
const UP_TO_16XL = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
const UP_TO_24XL = [...UP_TO_16XL, '24xlarge'];
const UP_TO_32XL = [...UP_TO_24XL, '32xlarge'];

const FIXED_RATIO_FAMILIES: Array<{ families: string[]; gibPerVcpu: number; sizes: string[] }> = [
  { families: ['m5'], gibPerVcpu: 4, sizes: UP_TO_24XL },
  { families: ['m6g', 'm7g'], gibPerVcpu: 4, sizes: UP_TO_16XL },
  { families: ['m6i'], gibPerVcpu: 4, sizes: UP_TO_32XL },
  { families: ['r5'], gibPerVcpu: 8, sizes: UP_TO_24XL },
  { families: ['r6g', 'r7g'], gibPerVcpu: 8, sizes: UP_TO_16XL },
  { families: ['r6i'], gibPerVcpu: 8, sizes: UP_TO_32XL },
];

function buildTable(): ReadonlyMap<string, number> {
  const table = new Map<string, number>();
  for (const family of ['t3', 't4g']) {
    for (const [size, gib] of Object.entries(BURSTABLE_SIZES)) {
      table.set(`db.${family}.${size}`, gib);
    }
  }
  for (const group of FIXED_RATIO_FAMILIES) {
    for (const family of group.families) {
      for (const size of group.sizes) {
        table.set(`db.${family}.${size}`, VCPUS[size] * group.gibPerVcpu);
      }
    }
  }
  return table;
}

const INSTANCE_MEMORY_GIB = buildTable();

/** `t4g.medium` and `db.t4g.medium` both name the same class. */
export function normalizeInstanceClass(instanceClass: string): string {
  const trimmed = instanceClass.trim().toLowerCase();
  return trimmed.startsWith('db.') ? trimmed : `db.${trimmed}`;
}

/** Nominal memory of the class in GiB, or undefined when the class is not in the table. */
export function instanceMemoryGib(instanceClass: string): number | undefined {
  return INSTANCE_MEMORY_GIB.get(normalizeInstanceClass(instanceClass));
}

/** Every class in the table, for documentation and tests. */
export function knownInstanceClasses(): string[] {
  return [...INSTANCE_MEMORY_GIB.keys()];
}
