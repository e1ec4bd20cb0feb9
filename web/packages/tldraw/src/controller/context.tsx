import { createContext, type ReactNode, useContext } from 'react';
import type { ImageGenController } from './types.js';

const ControllerContext = createContext<ImageGenController | null>(null);

/** Makes `controller` available to every image-generation shape below it. */
export function ImageGenControllerProvider({ controller, children }: { controller: ImageGenController; children: ReactNode }) {
  return <ControllerContext.Provider value={controller}>{children}</ControllerContext.Provider>;
}

/** The controller provided by {@link ImageGenControllerProvider}, or `null` outside one. */
export function useImageGenController(): ImageGenController | null {
  return useContext(ControllerContext);
}
