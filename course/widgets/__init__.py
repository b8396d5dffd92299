"""ipywidgets factories built on ``course.viz``; they run on ipywidgets 7.7 and 8.x
and need no ipympl (figures are redrawn inside an ``Output`` widget)."""
