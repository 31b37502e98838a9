/** The quality report's CLI fixture: 6 pairs (one answer in English, two short, one equal to its question), 2 rejected, 1 bad line, 1 blank. */
import { internalRecord } from './helpers';

const SV = 'Patienten ska få information om behandlingen innan den påbörjas och kan alltid ställa frågor.';
const EN = 'The patient should always be informed about the treatment before it starts, in plain words.';

export const REPORT_FIXTURE = [
  internalRecord({ question: 'Vad gäller vid information?', answer: SV, source_document: 'dok/a.pdf' }),
  internalRecord({ question: 'Vad gäller på engelska?', answer: EN, source_document: 'dok/a.pdf', roll: 'läkare' }),
  internalRecord({ question: 'Kort svar?', answer: 'Ja.', source_document: 'dok/b.pdf', score: 0.5 }),
  internalRecord({ question: 'Samma', answer: 'samma', source_document: 'dok/b.pdf' }),
  internalRecord({ question: 'Fler frågor?', answer: `${SV} Mer text.`, source_document: 'dok/c.pdf', score: 1 }),
  internalRecord({ question: 'Ännu en?', answer: `Ja. ${SV}` }),
  internalRecord({ question: 'Avvisad?', answer: SV, passed: false, failure_reason: 'för vag', score: 0.3 }),
  internalRecord({ question: 'Avvisad igen?', answer: SV, passed: false, score: 0.2 }),
]
  .map((record) => JSON.stringify(record))
  .concat(['{"question": broken', ''])
  .join('\n')
  .concat('\n');

