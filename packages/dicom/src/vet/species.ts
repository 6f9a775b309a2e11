import { normalizeForSearch } from './search';

/** The small species vocabulary vets filter by. */
export type SpeciesGroup =
  | 'Canine'
  | 'Feline'
  | 'Equine'
  | 'Bovine'
  | 'Ovine'
  | 'Caprine'
  | 'Porcine'
  | 'Lagomorph'
  | 'Avian'
  | 'Reptile'
  | 'Rodent'
  | 'Exotic';

// Multi-word phrases are checked before single words ("guinea pig" is a rodent, not a pig).
const PHRASES: [string, SpeciesGroup][] = [
  ['guinea pig', 'Rodent'],
  ['canis lupus familiaris', 'Canine'],
  ['canis familiaris', 'Canine'],
  ['felis catus', 'Feline'],
  ['equus caballus', 'Equine'],
  ['bos taurus', 'Bovine'],
  ['bearded dragon', 'Reptile'],
  ['sugar glider', 'Exotic'],
  ['pot bellied pig', 'Porcine'],
];

const WORDS: Record<SpeciesGroup, string[]> = {
  Canine: ['dog', 'dogs', 'canine', 'canid', 'canis', 'k9', 'hund', 'hunde', 'hundin', 'chien', 'chienne', 'perro', 'perra', 'cane', 'hond', 'canino', 'puppy', 'welpe'],
  Feline: ['cat', 'cats', 'feline', 'felis', 'katze', 'kater', 'chat', 'chatte', 'gato', 'gata', 'gatto', 'kat', 'felino', 'kitten'],
  Equine: ['horse', 'equine', 'equus', 'equid', 'pferd', 'cheval', 'jument', 'caballo', 'yegua', 'cavallo', 'paard', 'pony', 'foal', 'mare', 'stallion', 'gelding', 'donkey', 'mule'],
  Bovine: ['cow', 'cattle', 'bovine', 'bos', 'calf', 'bull', 'heifer', 'steer', 'rind', 'kuh', 'vache', 'vaca', 'bovino'],
  Ovine: ['sheep', 'ovine', 'ovis', 'lamb', 'ewe', 'ram', 'schaf', 'mouton', 'brebis', 'oveja'],
  Caprine: ['goat', 'caprine', 'capra', 'ziege', 'chevre', 'cabra'],
  Porcine: ['pig', 'swine', 'porcine', 'sus', 'hog', 'piglet', 'sow', 'boar', 'schwein', 'porc', 'cochon', 'cerdo'],
  Lagomorph: ['rabbit', 'bunny', 'lagomorph', 'oryctolagus', 'kaninchen', 'lapin', 'conejo', 'hare'],
  Avian: ['bird', 'avian', 'parrot', 'budgie', 'budgerigar', 'cockatiel', 'cockatoo', 'macaw', 'canary', 'finch', 'pigeon', 'chicken', 'hen', 'duck', 'goose', 'owl', 'falcon', 'hawk', 'raptor', 'poultry', 'vogel', 'oiseau', 'pajaro', 'ave'],
  Reptile: ['reptile', 'snake', 'lizard', 'turtle', 'tortoise', 'terrapin', 'gecko', 'iguana', 'python', 'boa', 'chameleon', 'schlange', 'schildkrote', 'tortue', 'serpent'],
  Rodent: ['rodent', 'rat', 'rats', 'mouse', 'mice', 'hamster', 'gerbil', 'chinchilla', 'degu', 'cavia', 'meerschweinchen', 'maus', 'ratte', 'souris', 'cobaye'],
  Exotic: ['exotic', 'ferret', 'hedgehog', 'primate', 'monkey', 'fish', 'amphibian', 'frog', 'axolotl', 'frettchen', 'furet'],
};

const byWord = new Map<string, SpeciesGroup>();
for (const [group, words] of Object.entries(WORDS) as [SpeciesGroup, string[]][]) for (const w of words) byWord.set(w, group);

/**
 * Maps free-text species (PatientSpeciesDescription (0010,2201), or a code meaning from
 * PatientSpeciesCodeSequence) to the vocabulary: `'Hund'` → `'Canine'`, `'K-9'` → `'Canine'`.
 * Unknown text → `undefined`; the raw description is always kept alongside.
 */
export function normalizeSpecies(text: string | undefined): SpeciesGroup | undefined {
  const norm = normalizeForSearch(text).replace(/\bk 9\b/g, 'k9');
  if (!norm) return undefined;
  for (const [phrase, group] of PHRASES) if (` ${norm} `.includes(` ${phrase} `)) return group;
  for (const word of norm.split(' ')) {
    const hit = byWord.get(word) ?? (word.endsWith('s') ? byWord.get(word.slice(0, -1)) : undefined);
    if (hit) return hit;
  }
  return undefined;
}
