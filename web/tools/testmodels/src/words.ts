/**
 * The small English word list the test tokenizer's BPE merges are learned
 * from, most frequent first (a word's training weight falls with its rank).
 * Prompt-like vocabulary, so test prompts become a few real tokens.
 */
export const WORDS: readonly string[] = `
a the of and in on with photo cat dog an at by for to is from painting portrait
red blue green yellow white black orange purple pink brown gray golden silver
sky sun moon star night day light dark water sea ocean river lake mountain hill
forest tree flower garden grass field rock stone sand beach desert snow rain cloud
city street house building tower castle bridge road car train boat ship plane
man woman child girl boy person people face eyes hair hand smile friend family
bird fish horse cow sheep fox wolf bear lion tiger rabbit mouse owl duck frog
apple bread cake coffee tea cup bowl table chair window door room kitchen bed
big small tall short old young new beautiful happy sad cute little large tiny
sitting standing running flying walking sleeping reading playing looking holding
detailed realistic digital art drawing sketch style color colors high quality
render cinematic lighting studio soft sharp focus wide angle close view scene
background foreground landscape watercolor oil canvas illustration cartoon anime
fantasy dream magic space planet galaxy robot machine future ancient medieval
winter summer spring autumn morning evening sunset sunrise storm fire smoke ice
wood metal glass paper gold crystal wooden shiny bright colorful vintage modern
`
  .split(/\s+/)
  .filter((w) => w.length > 0);
