/* dv-wb-window-editor-page.c — building the Architecture page's widgets:
 * the form (presets, apply / resets / undo, the model-wide fields, the area
 * and connection pickers with their fields) and the diagram.
 *
 * What this is for: layout and signal wiring, once, at init.  What it is not
 * for: what the widgets do (dv-wb-window-editor.c) or validation
 * (engine/dv-arch-edit.c).
 */
#include "dv-wb-window-editor-private.h"

static GtkWidget *
heading (const char *text)
{
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_add_css_class (l, "heading");
  gtk_widget_add_css_class (l, "dv-section");
  return l;
}

static GtkWidget *
button (const char *label, const char *action, const char *tip)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);
  if (action)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (b), action);
  gtk_widget_set_tooltip_text (b, tip);
  return b;
}

static GtkDropDown *
drop_of (GtkStringList *list)
{
  return GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (list)), NULL));
}

/* Fields of one scope in a grid: label, widget, and the message row under it. */
static GtkWidget *
field_grid (DvWbWindow *win, DvWbScope scope)
{
  DvWbEditor *ed = win->editor;
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 8);
  int row = 0;
  for (guint i = 0; i < DV_WB_N_FIELDS; i++)
    {
      DvWbField *f = &ed->fields[i];
      if (f->scope != scope)
        continue;
      GtkWidget *label = gtk_label_new (f->label);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_tooltip_text (label, f->tip);
      if (f->options)
        {
          f->widget = gtk_drop_down_new_from_strings (f->options);
          g_signal_connect (f->widget, "notify::selected", G_CALLBACK (dv_wb_editor_on_drop_changed), win);
        }
      else if (f->boolean)
        {
          f->widget = gtk_switch_new ();
          gtk_widget_set_halign (f->widget, GTK_ALIGN_START);
          g_signal_connect (f->widget, "notify::active", G_CALLBACK (dv_wb_editor_on_switch_changed), win);
        }
      else
        {
          f->widget = gtk_entry_new ();
          gtk_editable_set_width_chars (GTK_EDITABLE (f->widget), 10);
          g_signal_connect (f->widget, "activate", G_CALLBACK (dv_wb_editor_on_entry_activate), win);
          GtkEventController *focus = gtk_event_controller_focus_new ();
          g_signal_connect (focus, "leave", G_CALLBACK (dv_wb_editor_on_entry_leave), win);
          gtk_widget_add_controller (f->widget, focus);
        }
      gtk_widget_set_hexpand (f->widget, TRUE);
      gtk_widget_set_tooltip_text (f->widget, f->tip);
      g_object_set_data (G_OBJECT (f->widget), "dv-field", f);
      f->message = GTK_LABEL (gtk_label_new (""));
      gtk_label_set_wrap (f->message, TRUE);
      gtk_label_set_xalign (f->message, 0);
      gtk_label_set_selectable (f->message, TRUE);
      gtk_label_set_max_width_chars (f->message, 40);
      gtk_widget_add_css_class (GTK_WIDGET (f->message), "error");
      gtk_widget_add_css_class (GTK_WIDGET (f->message), "caption");
      gtk_widget_set_visible (GTK_WIDGET (f->message), FALSE);
      gtk_grid_attach (GTK_GRID (grid), label, 0, row, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), f->widget, 1, row, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (f->message), 0, row + 1, 2, 1);
      row += 2;
    }
  return grid;
}

static GtkWidget *
hbox (void)
{
  GtkWidget *b = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  return b;
}

void
dv_wb_editor_build_page (DvWbWindow *win, GtkBox *page)
{
  DvWbEditor *ed = win->editor;
  GtkWidget *form = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (form, "dv-sidebar");

  /* presets and plugins */
  gtk_box_append (GTK_BOX (form), heading ("Model"));
  GtkWidget *row = hbox ();
  ed->preset_pick = drop_of (ed->preset_names);
  gtk_widget_set_hexpand (GTK_WIDGET (ed->preset_pick), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (ed->preset_pick), "Presets, and the models of loaded plugins");
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->preset_pick));
  GtkWidget *load = button ("Use Preset", NULL, "Replace the edit by this preset (undoable)");
  g_signal_connect (load, "clicked", G_CALLBACK (dv_wb_editor_on_load_preset), win);
  gtk_box_append (GTK_BOX (row), load);
  gtk_box_append (GTK_BOX (row), button ("Plugin…", "win.load-plugin", "Load a model plugin (.so)"));
  gtk_box_append (GTK_BOX (form), row);

  /* apply, resets, undo */
  row = hbox ();
  ed->apply_button = GTK_BUTTON (button ("Applied", "win.apply-architecture",
                                         "Apply the edit to the running model"));
  gtk_widget_add_css_class (GTK_WIDGET (ed->apply_button), "suggested-action");
  gtk_widget_set_hexpand (GTK_WIDGET (ed->apply_button), TRUE);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->apply_button));
  GtkWidget *undo = gtk_button_new_from_icon_name ("edit-undo-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (undo), "win.undo-architecture");
  gtk_widget_set_tooltip_text (undo, "Undo the last edit");
  GtkWidget *redo = gtk_button_new_from_icon_name ("edit-redo-symbolic");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (redo), "win.redo-architecture");
  gtk_widget_set_tooltip_text (redo, "Redo");
  gtk_box_append (GTK_BOX (row), undo);
  gtk_box_append (GTK_BOX (row), redo);
  ed->undo_button = undo;
  ed->redo_button = redo;
  gtk_box_append (GTK_BOX (form), row);
  row = hbox ();
  GtkWidget *soft = button ("Soft Reset (Clear State)", "win.soft-reset",
                            "Clear every area's state and start the stimulus again; weights stay");
  GtkWidget *full = button ("Full Reset (New Weights)", "win.full-reset",
                            "Re-initialise every weight from the seed beside it and start again");
  gtk_widget_add_css_class (full, "destructive-action");
  gtk_box_append (GTK_BOX (row), soft);
  gtk_box_append (GTK_BOX (row), full);
  GtkWidget *seed_label = gtk_label_new ("seed");
  gtk_widget_add_css_class (seed_label, "dim-label");
  gtk_box_append (GTK_BOX (row), seed_label);
  ed->seed_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, G_MAXINT32, 1));
  gtk_spin_button_set_digits (ed->seed_spin, 0);
  gtk_editable_set_width_chars (GTK_EDITABLE (ed->seed_spin), 4);
  gtk_widget_set_tooltip_text (GTK_WIDGET (ed->seed_spin), "Seed of the weights a full reset draws "
                                                           "(0: the weights the workbench starts with)");
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->seed_spin));
  gtk_box_append (GTK_BOX (form), row);
  ed->state_label = GTK_LABEL (gtk_label_new (""));
  ed->report_label = GTK_LABEL (gtk_label_new (""));
  ed->warnings_label = GTK_LABEL (gtk_label_new (""));
  GtkLabel *labels[] = { ed->state_label, ed->report_label, ed->warnings_label };
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      gtk_label_set_wrap (labels[i], TRUE);
      gtk_label_set_xalign (labels[i], 0);
      gtk_label_set_selectable (labels[i], TRUE);
      gtk_label_set_max_width_chars (labels[i], 48);
      gtk_widget_add_css_class (GTK_WIDGET (labels[i]), "caption");
      gtk_box_append (GTK_BOX (form), GTK_WIDGET (labels[i]));
    }
  gtk_widget_add_css_class (GTK_WIDGET (ed->warnings_label), "warning");
  gtk_box_append (GTK_BOX (form), field_grid (win, DV_WB_SCOPE_MODEL));

  /* areas */
  gtk_box_append (GTK_BOX (form), heading ("Areas"));
  row = hbox ();
  ed->area_pick = drop_of (ed->area_names);
  gtk_widget_set_hexpand (GTK_WIDGET (ed->area_pick), TRUE);
  g_signal_connect (ed->area_pick, "notify::selected", G_CALLBACK (dv_wb_editor_on_pick_changed), win);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->area_pick));
  const struct { const char *icon, *what, *tip; } area_buttons[] = {
    { "go-up-symbolic", "up", "Move the area one place earlier" },
    { "go-down-symbolic", "down", "Move the area one place later" },
    { "list-remove-symbolic", "remove", "Remove the area and its connections" },
  };
  GtkWidget *add = gtk_button_new_from_icon_name ("list-add-symbolic");
  gtk_widget_set_tooltip_text (add, "Add an area after this one, shaped like it");
  g_signal_connect (add, "clicked", G_CALLBACK (dv_wb_editor_on_add_area), win);
  gtk_box_append (GTK_BOX (row), add);
  for (guint i = 0; i < G_N_ELEMENTS (area_buttons); i++)
    {
      GtkWidget *b = gtk_button_new_from_icon_name (area_buttons[i].icon);
      gtk_widget_set_tooltip_text (b, area_buttons[i].tip);
      g_object_set_data (G_OBJECT (b), "dv-what", (gpointer) area_buttons[i].what);
      g_signal_connect (b, "clicked", G_CALLBACK (dv_wb_editor_on_area_button), win);
      gtk_box_append (GTK_BOX (row), b);
    }
  gtk_box_append (GTK_BOX (form), row);
  ed->area_box = field_grid (win, DV_WB_SCOPE_AREA);
  gtk_box_append (GTK_BOX (form), ed->area_box);

  /* connections */
  gtk_box_append (GTK_BOX (form), heading ("Skip and feedback connections"));
  row = hbox ();
  ed->conn_pick = drop_of (ed->conn_names);
  gtk_widget_set_hexpand (GTK_WIDGET (ed->conn_pick), TRUE);
  g_signal_connect (ed->conn_pick, "notify::selected", G_CALLBACK (dv_wb_editor_on_pick_changed), win);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->conn_pick));
  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
  gtk_widget_set_tooltip_text (remove, "Remove this connection");
  g_signal_connect (remove, "clicked", G_CALLBACK (dv_wb_editor_on_remove_conn), win);
  gtk_box_append (GTK_BOX (row), remove);
  gtk_box_append (GTK_BOX (form), row);
  ed->conn_box = field_grid (win, DV_WB_SCOPE_CONN);
  gtk_box_append (GTK_BOX (form), ed->conn_box);
  row = hbox ();
  const char *kinds[] = { "skip", "feedback", NULL };
  ed->kind_pick = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (kinds));
  ed->src_pick = drop_of (ed->area_names2);
  ed->tgt_pick = drop_of (ed->area_names3);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->kind_pick));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->src_pick));
  gtk_box_append (GTK_BOX (row), gtk_label_new ("→"));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (ed->tgt_pick));
  GtkWidget *add_conn = gtk_button_new_with_label ("Add");
  gtk_widget_set_tooltip_text (add_conn, "Add a connection (a 1×1 conv where the channels differ, "
                                         "then a nearest resize)");
  g_signal_connect (add_conn, "clicked", G_CALLBACK (dv_wb_editor_on_add_conn), win);
  gtk_box_append (GTK_BOX (row), add_conn);
  gtk_box_append (GTK_BOX (form), row);

  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), form);
  gtk_widget_set_size_request (scroll, 430, -1);
  gtk_box_append (page, scroll);

  ed->diagram = DV_PLOT_VIEW (dv_plot_view_new ());
  dv_plot_view_set_name (ed->diagram, "architecture");
  dv_plot_view_set_min_size (ed->diagram, 480, 300);
  dv_plot_view_set_plot (ed->diagram, dv_arch_plot_as_plot (&ed->plot));
  gtk_widget_set_hexpand (GTK_WIDGET (ed->diagram), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (ed->diagram), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (ed->diagram), "dv-card");
  g_signal_connect (ed->diagram, "pointer", G_CALLBACK (dv_wb_editor_on_diagram_pointer), win);
  gtk_box_append (page, GTK_WIDGET (ed->diagram));
}
