/** Test support: image fixtures for every transfer syntax and dcmtk reference decodes. */
export { type ImageFixture, imageFixtures } from './fixtures';
export { dcmtkReference, meanAbsDiff, meanOf, type Raster, resizeRaster, toRaster } from './reference';
