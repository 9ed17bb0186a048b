/** The widget's appearance, as GET /get_ui returns it (`ui`). */
export interface WidgetUi {
  title: string;
  primary_color: string;
  background_color: string;
  text_color: string;
  avatar_url: string | null;
  position: 'bottom-right' | 'bottom-left';
  launcher_text: string;
  theme: 'light' | 'dark' | 'auto';
}

/** One message as the widget shows it. */
export interface ShownMessage {
  role: 'user' | 'assistant';
  content: string;
}
