import { DefaultToolbar, DefaultToolbarContent, type TLComponents, type TLUiOverrides, TldrawUiMenuItem, useIsToolSelected, useTools } from 'tldraw';
import { IMAGE_GEN_SHAPE_TYPE } from '../shape/props.js';

/** Adds the image-generation tool to tldraw's tools (label, icon, shortcut `G`). */
export const imageGenUiOverrides: TLUiOverrides = {
  tools(editor, tools) {
    tools[IMAGE_GEN_SHAPE_TYPE] = {
      id: IMAGE_GEN_SHAPE_TYPE,
      icon: 'tool-media',
      label: 'Generate image',
      kbd: 'g',
      onSelect: () => editor.setCurrentTool(IMAGE_GEN_SHAPE_TYPE),
    };
    return tools;
  },
};

function ImageGenToolbar() {
  const tools = useTools();
  const tool = tools[IMAGE_GEN_SHAPE_TYPE];
  const selected = useIsToolSelected(tool);
  return (
    <DefaultToolbar>
      {tool && <TldrawUiMenuItem {...tool} isSelected={selected} />}
      <DefaultToolbarContent />
    </DefaultToolbar>
  );
}

/** tldraw components that put the image-generation tool first in the toolbar. */
export const imageGenComponents: TLComponents = {
  Toolbar: ImageGenToolbar,
};
