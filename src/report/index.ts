// A StageResult rendered for people: markdown for the job summary, text for the terminal.
export { renderInputError, renderMarkdown } from './markdown.js';
export { renderText } from './text.js';
