/**
 * Resolves the `max_connections` value of an RDS parameter group: an integer, or a formula over
 * `DBInstanceClassMemory` such as `LEAST({DBInstanceClassMemory/9531392},5000)` (PostgreSQL's
 * default) or `{DBInstanceClassMemory/12582880}` (MySQL's). Formulas are evaluated with the
 * library's estimate of DBInstanceClassMemory, which stays below the real value, so the result
 * never promises more connections than the engine allows.
 */

/** Evaluates `value` for an instance whose DBInstanceClassMemory is `classMemoryBytes`. */
export function resolveMaxConnections(value: string, classMemoryBytes: number | undefined): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed);
  }
  if (classMemoryBytes === undefined) {
    throw new Error(`max_connections is the formula '${value}', and the instance class is not in the library's memory table, so it cannot be evaluated`);
  }
  const parser = new FormulaParser(trimmed, classMemoryBytes);
  const result = parser.parse();
  return Math.max(1, Math.floor(result));
}

/**
 * RDS formulas: integers, `{DBInstanceClassMemory/N}` and `{DBInstanceClassMemory*N/M}`-style
 * terms in braces, and the functions LEAST, GREATEST and SUM.
 */
class FormulaParser {
  private position = 0;

  constructor(private readonly text: string, private readonly memory: number) {}

  public parse(): number {
    const value = this.expression();
    this.skipSpaces();
    if (this.position !== this.text.length) {
      this.fail('unexpected text');
    }
    return value;
  }

  private expression(): number {
    this.skipSpaces();
    const rest = this.text.slice(this.position);
    if (rest.startsWith('{')) {
      return this.braced();
    }
    const number = /^\d+/.exec(rest);
    if (number) {
      this.position += number[0].length;
      return Number(number[0]);
    }
    const call = /^(LEAST|GREATEST|SUM)\s*\(/i.exec(rest);
    if (call) {
      this.position += call[0].length;
      const args = [this.expression()];
      this.skipSpaces();
      while (this.text[this.position] === ',') {
        this.position++;
        args.push(this.expression());
        this.skipSpaces();
      }
      this.expect(')');
      const name = call[1].toUpperCase();
      return name === 'LEAST' ? Math.min(...args) : name === 'GREATEST' ? Math.max(...args) : args.reduce((a, b) => a + b, 0);
    }
    return this.fail('expected a number, a {...} term or LEAST/GREATEST/SUM');
  }

  /** `{DBInstanceClassMemory/9531392}`: products and quotients of the memory and integers. */
  private braced(): number {
    const end = this.text.indexOf('}', this.position);
    if (end < 0) {
      this.fail('unclosed {');
    }
    const inner = this.text.slice(this.position + 1, end).replace(/\s+/g, '');
    this.position = end + 1;
    const tokens = inner.split(/([*/])/);
    let value = this.operand(tokens[0]);
    for (let i = 1; i < tokens.length; i += 2) {
      const operand = this.operand(tokens[i + 1]);
      value = tokens[i] === '*' ? value * operand : value / operand;
    }
    return Math.floor(value);
  }

  private operand(token: string | undefined): number {
    if (token === 'DBInstanceClassMemory') {
      return this.memory;
    }
    if (token !== undefined && /^\d+$/.test(token)) {
      return Number(token);
    }
    return this.fail(`unknown term '${token ?? ''}'`);
  }

  private expect(character: string): void {
    this.skipSpaces();
    if (this.text[this.position] !== character) {
      this.fail(`expected '${character}'`);
    }
    this.position++;
  }

  private skipSpaces(): void {
    while (this.text[this.position] === ' ') {
      this.position++;
    }
  }

  private fail(reason: string): never {
    throw new Error(`Cannot evaluate the max_connections formula '${this.text}': ${reason} at position ${this.position}`);
  }
}
