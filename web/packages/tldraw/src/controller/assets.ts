import { AssetRecordType, type Editor, type JsonObject, type TLAssetId, type TLImageAsset } from 'tldraw';

/** Reads the file behind an image asset (from the asset store), e.g. to start a final from a draft. */
export async function assetBlob(editor: Editor, assetId: string | null): Promise<Blob | undefined> {
  if (!assetId) return undefined;
  const url = await editor.resolveAssetUrl(assetId as TLAssetId, { shouldResolveToOriginal: true });
  return url ? (await fetch(url)).blob() : undefined;
}

/** An image to keep in the asset store. */
export interface NewImageAsset {
  readonly image: Blob;
  readonly width: number;
  readonly height: number;
  readonly name: string;
  /** What made it (prompt, seed, model...), kept in the asset's meta. */
  readonly meta: JsonObject;
}

/**
 * Puts an image in the editor's asset store (`editor.uploadAsset`: with a persistence key, tldraw
 * keeps the file in IndexedDB) and creates its asset record. Shapes then hold the asset's id,
 * never the pixels.
 */
export async function storeImageAsset(editor: Editor, image: NewImageAsset, signal?: AbortSignal): Promise<TLImageAsset['id']> {
  const id = AssetRecordType.createId();
  const mimeType = image.image.type || 'image/png';
  const asset = AssetRecordType.create({
    id,
    type: 'image',
    props: { src: null, w: image.width, h: image.height, mimeType, name: image.name, isAnimated: false },
    meta: image.meta,
  }) as TLImageAsset;
  const file = new File([image.image], image.name, { type: mimeType });
  const uploaded = await editor.uploadAsset(asset, file, signal);
  editor.createAssets([{ ...asset, props: { ...asset.props, src: uploaded.src }, meta: { ...asset.meta, ...uploaded.meta } }]);
  return id;
}
