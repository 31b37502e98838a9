/**
 * bench/generate.ts — seeded generator of synthetic corpora in qa-hf's internal input format.
 *
 * Input:  a record count and a 32-bit seed (plus an optional rate of malformed lines).
 * Output: JSONL, one record per line, about 1.3 kB per record, Swedish healthcare Q&A text
 *         with åäö, typographic and ASCII quotes, embedded newlines and, rarely, emoji
 *         (multi-byte and ZWJ sequences, so chunk-boundary bugs in UTF-8 handling show up).
 * Errors: bad arguments throw a RangeError before anything is written; I/O errors reject.
 * Same (count, seed, badLineRate) → same bytes, on any machine: only integer/float
 * arithmetic on a mulberry32 PRNG, no Date.now(), no Math.random(), no locale.
 *
 * Example:
 *   node dist/bench/generate.js --records 100000 --seed 42 --out /tmp/x.jsonl
 *   const { generateRecords } = require("./generate"); for (const line of generateRecords(3, 42)) …
 */
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";

/** The internal input record, as the engine reads it. */
export interface QaRecord {
  id: string;
  question: string;
  answer: string;
  source_document?: string;
  persona: { roll: string; erfarenhet: string };
  validation: { composite_score: number; passed: boolean; failure_reason?: string };
  generated_at: string;
  model: string;
}

export interface GenerateOptions {
  /** Probability that a malformed line is inserted before a record; 0 (default) gives a clean corpus. */
  badLineRate?: number;
}

export interface CorpusOptions extends GenerateOptions {
  records: number;
  seed: number;
}

export interface CorpusSummary {
  records: number;
  badLines: number;
  bytes: number;
}

// Write in ~64 KiB strings: one write per line costs a syscall/callback per kB, which would
// make the generator the slowest part of `npm run bench`.
const WRITE_BATCH_CHARS = 64 * 1024;

// Proportions of the corpus; chosen to look like a real LLM-generated, LLM-validated set.
const PASSED_RATE = 0.85;
const SOURCE_PRESENT_RATE = 0.95;
const EMOJI_RATE = 0.015;

/** mulberry32: tiny, fast, good enough for test data, and identical on every platform. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const between = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

// ---- word and phrase lists -------------------------------------------------------------

const ROLES = [
  "sjuksköterska", "undersköterska", "läkare", "fysioterapeut", "arbetsterapeut",
  "barnmorska", "specialistsjuksköterska", "ST-läkare", "dietist", "kurator",
] as const;
const EXPERIENCE = ["nyanställd", "1-3 år", "3-10 år", "erfaren", "över 20 år i yrket"] as const;
const TOPICS = [
  "basala hygienrutiner", "läkemedelsöverlämning", "fallprevention", "trycksårsprevention",
  "nutritionsbedömning", "smärtskattning med NRS", "tidig upptäckt av sepsis", "bedömning enligt NEWS2",
  "insulinbehandling", "blodtransfusion", "avvikelserapportering", "informerat samtycke",
  "sekretess enligt patientdatalagen", "kateterisering av urinblåsan", "palliativ symtomlindring",
  "vätskebalansmätning", "skötsel av perifer venkateter", "läkemedelsgenomgång",
  "överrapportering enligt SBAR", "förebyggande av vårdrelaterade infektioner", "munvård",
  "isolering vid misstänkt smitta", "ordination via telefon", "narkotikaklassade läkemedel",
  "utskrivningsplanering", "nedsväljningsbedömning", "hjärt-lungräddning",
] as const;
const SITUATIONS = [
  "patienten är förvirrad", "det är natt och ingen läkare finns på plats",
  "patienten vägrar ta sin medicin", "anhöriga ställer frågor om behandlingen",
  "journalsystemet ligger nere", "patienten har feber över 38,5 °C", "det saknas en giltig ordination",
  "patienten har nedsatt njurfunktion", "patienten behöver tolk", "det är hög arbetsbelastning på avdelningen",
  "patienten har svårt att svälja", "en kollega har gjort ett misstag", "patienten är nyopererad och blek",
] as const;
const PATIENTS = [
  "äldre multisjuka patienter", "barn under två år", "gravida", "patienter med demenssjukdom",
  "patienter med diabetes typ 1", "patienter i livets slutskede", "patienter med KOL",
  "nyopererade patienter", "patienter med hjärtsvikt", "patienter med intellektuell funktionsnedsättning",
] as const;
const UNITS = [
  "medicinavdelning", "akutmottagning", "vårdcentral", "geriatrisk avdelning", "barnavdelning",
  "ortopedisk avdelning", "intensivvårdsavdelning", "demensenhet", "hemsjukvårdsenhet",
] as const;
const SOURCES = [
  "Socialstyrelsens föreskrifter (HSLF-FS 2017:37)", "Vårdhandboken", "regionens lokala riktlinje",
  "Läkemedelsverkets rekommendationer", "patientsäkerhetslagen (2010:659)",
  "Folkhälsomyndighetens vägledning", "1177:s kunskapsstöd för vårdpersonal",
] as const;
const RISKS = [
  "risken för biverkningar är större", "de snabbt kan försämras", "symtomen ofta är otydliga",
  "läkemedel bryts ned långsammare", "de kan ha svårt att uttrycka smärta",
  "risken för fall och fraktur är förhöjd", "vätskebalansen lätt rubbas",
] as const;
const TIPS = [
  "handdesinfektion ska ske före och efter varje patientkontakt",
  "smycken och armbandsur inte får bäras vid patientnära arbete",
  "patientens egen upplevelse alltid ska tas på allvar",
  "anhöriga kan vara en viktig resurs men inte ska ta över ansvaret",
  "det är bättre att fråga en gång för mycket än en gång för lite",
  "läkemedel aldrig ska iordningställas i förväg för flera patienter",
  "tolk ska bokas i god tid och att anhöriga inte ska användas som tolk",
  "förändringar i vakenhet ofta är det första tecknet på försämring",
] as const;
const DUTIES = [
  "din del av läkemedelshanteringen är korrekt utförd", "observationer förmedlas till rätt person",
  "patienten får information som hen förstår", "arbetet utförs enligt vetenskap och beprövad erfarenhet",
  "du inte utför uppgifter som du saknar delegering för", "dokumentationen är tydlig och aktuell",
] as const;
const STEPS = [
  "Desinfektera händerna.", "Identifiera patienten med namn och personnummer.",
  "Kontrollera ordinationen mot läkemedelslistan.", "Förklara för patienten vad som ska göras och varför.",
  "Ta på handskar och förkläde vid risk för kontakt med kroppsvätskor.", "Mät och notera vitalparametrar.",
  "Skatta smärtan med NRS eller Abbey Pain Scale.", "Vänd patienten minst var annan timme.",
  "Kontrollera huden över benutskott, särskilt hälar och korsben.",
  "Rapportera avvikande värden till ansvarig sjuksköterska.", "Signera i läkemedelsmodulen direkt efter given dos.",
] as const;
const QUOTES = [
  "Handdesinfektion ska utföras före och efter patientkontakt", "Ordinationen ska vara skriftlig och signerad",
  "Vid tveksamhet ska ansvarig läkare kontaktas", "Patienten ska ges möjlighet att delta i beslut om sin vård",
] as const;
const RECORDED = [
  "bedömningen", "given dos och tidpunkt", "patientens egen skattning", "vidtagna åtgärder",
  "kontakten med läkare", "informationen till anhöriga",
] as const;
const KEYWORDS = ["Omvårdnad", "Läkemedel", "Aktuellt", "Bedömning", "Planering", "Information"] as const;
const DURATIONS = ["30 minuter", "en timme", "två timmar", "ett arbetspass", "ett dygn"] as const;
const EMOJI = ["🙂", "👍", "⚠️", "👩‍⚕️", "💊"] as const; // ⚠️ has VS16; 👩‍⚕️ is a ZWJ sequence
const REGIONS = [
  "region-stockholm", "vgr", "region-skåne", "region-uppsala", "region-östergötland",
  "region-jönköping", "nationella",
] as const;
const FAILURE_REASONS = [
  "Svaret saknar stöd i källdokumentet", "Hallucinerad dosering", "Frågan går inte att besvara utifrån riktlinjen",
  "För kort svar", "Felaktig hänvisning till lagrum", "Svaret innehåller personuppgifter",
  "Språkliga brister (engelska termer)",
] as const;
const MODELS = [
  "gpt-4o-2024-08-06", "gpt-4.1-mini", "claude-sonnet-4-20250514", "llama-3.3-70b-instruct", "mistral-large-2411",
] as const;

// Not valid records, each a different failure the engine must route to its error channel.
const BAD_LINES = [
  '{"id":"qa-trasig","question":"Hur ska jag hantera', // truncated JSON
  "detta är ingen JSON alls", // not JSON
  '[1,2,3]', // JSON, but not an object
  '{"id":"qa-fel-typ","question":42,"answer":null}', // object with wrong field types
  '{"id":"qa-utan-svar","question":"Vad gäller vid feber?"}', // missing answer/validation
  '{"id":"qa-dubbel-komma",,"question":"x"}', // syntax error mid-line
] as const;

// ---- text builders ---------------------------------------------------------------------

function buildQuestion(rng: Rng, role: string, topic: string): string {
  const situation = pick(rng, SITUATIONS);
  const unit = pick(rng, UNITS);
  const patients = pick(rng, PATIENTS);
  const templates = [
    `Hur ska jag som ${role} hantera ${topic} när ${situation}?`,
    `Vad säger riktlinjen om ${topic} för ${patients}?`,
    `Vilka steg ingår i ${topic} på en ${unit}, och vad är viktigast att tänka på?`,
    `Får en ${role} själv besluta om ${topic} om ${situation}?`,
    `Vad ska dokumenteras i journalen vid ${topic}, och under vilket sökord?`,
    `Hur ofta ska ${topic} följas upp hos ${patients}?`,
    `Vem ansvarar för ${topic} när ${situation}?`,
  ];
  let question = pick(rng, templates);
  // Real questions often carry context first; it also spreads the question length.
  if (rng() < 0.5) question = `Jag arbetar på en ${unit} och ${pick(rng, SITUATIONS)}. ${question}`;
  if (rng() < EMOJI_RATE / 3) question += ` ${pick(rng, EMOJI)}`;
  return question;
}

function buildSentence(rng: Rng, role: string, topic: string): string {
  switch (between(rng, 0, 11)) {
    case 0: return `Enligt ${pick(rng, SOURCES)} ska ${topic} alltid utföras av personal med rätt kompetens.`;
    case 1: return "Börja med att bedöma patientens allmäntillstånd och kontrollera vitalparametrar som puls, blodtryck, andningsfrekvens och saturation.";
    case 2: return `Dokumentera ${pick(rng, RECORDED)} i journalen under sökordet ”${pick(rng, KEYWORDS)}” samma arbetspass.`;
    case 3: return `Om ${pick(rng, SITUATIONS)}, kontakta ansvarig läkare och använd SBAR vid överrapporteringen.`;
    case 4: return `För ${pick(rng, PATIENTS)} gäller särskild försiktighet eftersom ${pick(rng, RISKS)}.`;
    case 5: return `Tänk på att ${pick(rng, TIPS)}.`;
    case 6: return `Följ de lokala rutiner som gäller på en ${pick(rng, UNITS)} och fråga en erfaren kollega om du är osäker.`;
    case 7: return "Avvikelser ska rapporteras i avvikelsesystemet så att verksamheten kan lära sig av händelsen.";
    case 8: return `Som ${role} ansvarar du för att ${pick(rng, DUTIES)}.`;
    // An embedded list: newlines inside a JSON string must survive every stage.
    case 9: return `Gör så här:\n1. ${pick(rng, STEPS)}\n2. ${pick(rng, STEPS)}\n3. ${pick(rng, STEPS)}\n`;
    // ASCII double quotes, so JSON escaping is exercised on every few records.
    case 10: return `I riktlinjen står det uttryckligen: "${pick(rng, QUOTES)}."`;
    default: return `Utvärdera effekten efter ${pick(rng, DURATIONS)} och skatta på nytt; en dygnsdos över ${between(rng, 2, 40) * 100} mg kräver alltid läkarordination.`;
  }
}

function buildAnswer(rng: Rng, role: string, topic: string): string {
  // Mostly 330-1080 characters, with a 3 % tail of long answers as real corpora have.
  const targetChars = rng() < 0.03 ? between(rng, 2000, 4000) : between(rng, 330, 1080);
  let answer = `${topic[0].toUpperCase()}${topic.slice(1)} är ett område där tydliga rutiner minskar risken för vårdskador.`;
  while (answer.length < targetChars) answer += " " + buildSentence(rng, role, topic);
  if (rng() < EMOJI_RATE) answer += ` ${pick(rng, EMOJI)}`;
  return answer;
}

function buildValidation(rng: Rng): QaRecord["validation"] {
  const passed = rng() < PASSED_RATE;
  // Exact integers 1 and 0 occur in real validator output and must stay 1/0, not 1.0.
  if (passed && rng() < 0.04) return { composite_score: 1, passed };
  if (!passed && rng() < 0.05) return { composite_score: 0, passed, failure_reason: pick(rng, FAILURE_REASONS) };
  // A fifth of scores are means of three sub-scores: long decimals like 0.8333333333333334.
  const score = rng() < 0.2
    ? (between(rng, passed ? 7 : 2, passed ? 10 : 7) + between(rng, passed ? 7 : 1, 10) + between(rng, passed ? 7 : 2, 10)) / 30
    : Math.round((passed ? 0.7 + 0.3 * rng() : 0.2 + 0.55 * rng()) * 1e4) / 1e4;
  return passed ? { composite_score: score, passed } : { composite_score: score, passed, failure_reason: pick(rng, FAILURE_REASONS) };
}

// 2026-01-05T00:00:00Z; timestamps are offsets from a fixed epoch so output never depends on the clock.
const GENERATED_FROM_MS = Date.UTC(2026, 0, 5);
const GENERATED_SPAN_MS = 90 * 24 * 3600 * 1000;

function buildRecord(rng: Rng, index: number): QaRecord {
  const role = pick(rng, ROLES);
  const topic = pick(rng, TOPICS);
  const record: QaRecord = {
    id: `qa-${String(index + 1).padStart(6, "0")}`,
    question: buildQuestion(rng, role, topic),
    answer: buildAnswer(rng, role, topic),
    source_document: `riktlinjer/${pick(rng, REGIONS)}/${topic.replace(/[ ()]+/g, "-").toLowerCase()}-${between(rng, 2019, 2025)}.pdf`,
    persona: { roll: role, erfarenhet: pick(rng, EXPERIENCE) },
    validation: buildValidation(rng),
    generated_at: new Date(GENERATED_FROM_MS + Math.floor(rng() * GENERATED_SPAN_MS)).toISOString(),
    model: pick(rng, MODELS),
  };
  if (rng() >= SOURCE_PRESENT_RATE) delete record.source_document;
  return record;
}

function checkArguments(count: number, seed: number, badLineRate: number): void {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`records must be a non-negative integer, got ${JSON.stringify(count)}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in 0..4294967295, got ${JSON.stringify(seed)}`);
  }
  if (!(badLineRate >= 0 && badLineRate < 1)) {
    throw new RangeError(`badLineRate must be a number in [0, 1), got ${JSON.stringify(badLineRate)}`);
  }
}

/** Each line with a flag, so callers can count malformed lines without re-parsing. */
function* generateLines(count: number, seed: number, badLineRate: number): Generator<{ line: string; bad: boolean }> {
  const rng = mulberry32(seed);
  // A second PRNG decides the bad lines, so they never shift the records' random stream.
  const badRng = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  for (let index = 0; index < count; index++) {
    if (badLineRate > 0 && badRng() < badLineRate) yield { line: pick(badRng, BAD_LINES), bad: true };
    yield { line: JSON.stringify(buildRecord(rng, index)), bad: false };
  }
}

/**
 * Yields `count` record lines (without "\n"), ids qa-000001… in order. With badLineRate > 0,
 * malformed lines are inserted *between* records, so the valid records are byte-identical
 * to the clean corpus with the same seed.
 */
export function* generateRecords(count: number, seed: number, options: GenerateOptions = {}): Generator<string> {
  const badLineRate = options.badLineRate ?? 0;
  checkArguments(count, seed, badLineRate);
  for (const { line } of generateLines(count, seed, badLineRate)) yield line;
}

/** Batches lines into ~64 KiB strings and counts what it produced. */
function* corpusChunks(options: CorpusOptions, summary: CorpusSummary): Generator<string> {
  let batch = "";
  for (const { line, bad } of generateLines(options.records, options.seed, options.badLineRate ?? 0)) {
    if (bad) summary.badLines++;
    else summary.records++;
    batch += line + "\n";
    if (batch.length >= WRITE_BATCH_CHARS) {
      summary.bytes += Buffer.byteLength(batch);
      yield batch;
      batch = "";
    }
  }
  summary.bytes += Buffer.byteLength(batch);
  if (batch) yield batch;
}

async function streamCorpus(options: CorpusOptions, sink: Writable): Promise<CorpusSummary> {
  const summary: CorpusSummary = { records: 0, badLines: 0, bytes: 0 };
  // Readable.from pulls the next chunk only when the sink wants more: backpressure, bounded memory.
  await pipeline(Readable.from(corpusChunks(options, summary)), sink);
  return summary;
}

/**
 * Streams a corpus to `path`. Writes to `path.tmp` and renames at the end, so a file at
 * `path` is always complete (bench/run.ts relies on this to cache corpora).
 */
export async function writeCorpus(path: string, options: CorpusOptions): Promise<CorpusSummary> {
  // Checked up front, not lazily in the generator, so a bad argument fails before a file exists.
  checkArguments(options.records, options.seed, options.badLineRate ?? 0);
  const tmpPath = `${path}.tmp`;
  try {
    const summary = await streamCorpus(options, createWriteStream(tmpPath));
    renameSync(tmpPath, path);
    return summary;
  } catch (error) {
    rmSync(tmpPath, { force: true });
    throw error;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: "string", default: "100000" },
      seed: { type: "string", default: "42" },
      out: { type: "string" },
      "bad-line-rate": { type: "string", default: "0" },
    },
  });
  const options: CorpusOptions = {
    records: Number(values.records),
    seed: Number(values.seed),
    badLineRate: Number(values["bad-line-rate"]),
  };
  // Without --out the corpus goes to stdout, e.g. `… | node dist/cli.js`.
  const summary = values.out ? await writeCorpus(values.out, options) : await streamCorpus(options, process.stdout);
  process.stderr.write(
    `generate: ${summary.records} records, ${summary.badLines} bad lines, ${summary.bytes} bytes` +
      ` (${(summary.bytes / Math.max(summary.records, 1)).toFixed(0)} B/record)${values.out ? ` → ${values.out}` : ""}\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`generate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
