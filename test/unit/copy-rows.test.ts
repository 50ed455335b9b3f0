import { copyField, copyLines, UnstorableTextError } from '../../staging/copy-rows';

/** COPY's text format (PostgreSQL docs, "COPY", File Formats → Text Format), as staging's bulk writer emits it. */
describe('COPY text format', () => {
  it('escapes backslash, newline, carriage return and tab, and nothing else', () => {
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('plain text, "quoted", 100%')).toBe('plain text, "quoted", 100%');
    expect(copyField('ñ 中文 😀 \u2028 e\u0301')).toBe('ñ 中文 😀 \u2028 e\u0301');
  });

  it('writes null as \\N and keeps text that spells \\N or \\. as text', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField('\\.')).toBe('\\\\.');
    expect(copyField('')).toBe('');
  });

  it('refuses a NUL character, which PostgreSQL text cannot hold', () => {
    expect(() => copyField('a\u0000b')).toThrow(UnstorableTextError);
  });

  it('writes one line per row, fields separated by tabs', () => {
    expect(
      copyLines([
        ['1', 'a\tb', null],
        ['2', '', 'x\ny'],
      ]),
    ).toBe('1\ta\\tb\t\\N\n2\t\tx\\ny\n');
    expect(copyLines([])).toBe('');
  });
});
