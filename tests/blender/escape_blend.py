"""Builds the .blend of the sandbox tests: a hostile scene whose auto-run text block (the same
kind as `hostile_blend.py`'s) tries to get out of the Blender child that opens it. Run as its own
process with the venv python, like `hostile_blend.py`:

    build-escape OUT.blend SECRET HOST PORT OUTSIDE...
    build-swap OUT.blend SECRET_FOLDER

When the Python of `build-escape`'s scene runs (scripts trusted), it tries to read SECRET (a
worker's keystore, a server's database), to connect to HOST:PORT, to write a file into each
OUTSIDE folder, into /tmp, /var/tmp and /home (where a shut-in child sees empty folders) and into
the folder it runs in (its own folder, where it may write). It reports each outcome twice: a line
`ESCAPE <what>: <outcome>` on stderr, and in a word in its camera's name (`key:yes out:no
net:no own:yes uid:65534`), which an inspection hands back, so a test can read the outcome from
the server's answer too (the /tmp attempt on stderr only).

`build-swap` makes a scene whose Python lies to the parent about its outputs instead: rendering
tile 1 of a frame, it reports its file under the name of the frame's tile 0 (which the parent
has already taken); rendering tile 2, it moves its outbox away, puts a symbolic link to
SECRET_FOLDER in its place and reports the file there named as the tile, as if it had rendered
it; rendering tile 3, it writes the whole frame into the tile's file. Any other tile it renders
honestly.
"""

import sys

import bpy

TEXT_BLOCK = """
import os
import pathlib
import socket
import sys

import bpy


def report(what, done, outcome):
    print(f"ESCAPE {{what}}: {{outcome}}", file=sys.stderr, flush=True)
    return "yes" if done else "no"


def attempt(what, action):
    try:
        return report(what, True, action())
    except Exception as exc:
        return report(what, False, f"{{type(exc).__name__}}: {{exc}}")


def read_secret():
    return f"read {{len(pathlib.Path({secret!r}).read_bytes())}} bytes"


def write_outside():
    written = []
    for folder in {outside!r}:
        (pathlib.Path(folder) / "escaped.txt").write_text("the child wrote outside its folder")
        written.append(folder)
    return f"wrote into {{written}}"


def write_masked():
    # Removed at once: a child without a sandbox writes into the machine's own /tmp.
    for folder in ("/tmp", "/var/tmp", "/home"):
        path = pathlib.Path(folder) / f"tilefarm-escaped-{{os.getpid()}}.txt"
        path.write_text("the child wrote into a mask")
        path.unlink()
    return "wrote into /tmp, /var/tmp, /home"


def write_own():
    pathlib.Path("own.txt").write_text("the child writes its own folder")
    return f"wrote into {{os.getcwd()}}"


def connect():
    with socket.create_connection(({host!r}, {port}), timeout=3):
        return "connected"


verdict = {{
    "key": attempt("read secret", read_secret),
    "out": attempt("write outside", write_outside),
    "net": attempt("connect", connect),
    "own": attempt("write own folder", write_own),
}}
attempt("write masked", write_masked)
report("uid", True, os.getuid())
bpy.context.scene.camera.name = " ".join(f"{{k}}:{{v}}" for k, v in verdict.items()) + (
    f" uid:{{os.getuid()}}"
)
"""


SWAP_BLOCK = """
import gc
import os
import pathlib
import sys

# The child's own state object; Blender runs this block in a `__main__` of its own.
Child = next(type(o) for o in gc.get_objects() if type(o).__name__ == "Child")
events = sys.modules["tilefarm.adapters.blender.protocol"]
if not hasattr(Child, "honest_render"):
    Child.honest_render = Child.render


def swap_outbox(self, req, out):
    try:  # the folder above the outbox, where the child may rename it
        os.rename(out.parent, str(out.parent) + ".moved")
        out.parent.mkdir()
    except OSError:  # else the outbox itself
        os.rename(out, str(out) + ".moved")
    os.symlink({secret_folder!r}, out)
    name = req.regions[0].key + ".exr"
    self.emit(events.RegionRendered(
        request_id=req.id, key=req.regions[0].key, path=str(out / name), seconds=0.0,
        rendered_on=self._rendered_on(),
    ))
    self.emit(events.Rendered(request_id=req.id, count=1, seconds=0.0, peak_rss_bytes=0))


def render(self, req):
    out = pathlib.Path(req.out_dir)
    tile = req.regions[0].key.rsplit("-", 1)[1]
    if tile == "00002":
        return swap_outbox(self, req, out)
    if tile == "00003":  # the whole frame, in the tile's file
        res = self.manifest.resolution
        whole = req.regions[0].rect.model_copy(
            update={{"x": 0, "y": 0, "width": res.width, "height": res.height}}
        )
        region = req.regions[0].model_copy(update={{"rect": whole}})
        return Child.honest_render(self, req.model_copy(update={{"regions": [region]}}))
    if tile != "00001":
        return Child.honest_render(self, req)
    emit = self.emit

    def as_tile_0(event):
        if isinstance(event, events.RegionRendered):
            first = out / (event.key.rsplit("-", 1)[0] + "-00000.exr")
            os.rename(event.path, first)
            event = event.model_copy(update={{"path": str(first)}})
        emit(event)

    self.emit = as_tile_0
    try:
        Child.honest_render(self, req)
    finally:
        del self.emit


Child.render = render
"""


def _scene_with_camera() -> None:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.render.resolution_x, scene.render.resolution_y = 32, 24
    bpy.ops.mesh.primitive_cube_add(location=(0, 0, 0))
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.location = (0, -6, 0)
    cam.rotation_euler = (1.5708, 0, 0)
    scene.camera = cam


def build_escape(out: str, secret: str, host: str, port: str, *outside: str) -> None:
    _scene_with_camera()
    text = bpy.data.texts.new("escape.py")
    text.write(TEXT_BLOCK.format(secret=secret, host=host, port=int(port), outside=list(outside)))
    text.use_module = True  # "Register": runs on load when scripts are trusted
    bpy.ops.wm.save_as_mainfile(filepath=out)


def build_swap(out: str, secret_folder: str) -> None:
    _scene_with_camera()
    text = bpy.data.texts.new("swap.py")
    text.write(SWAP_BLOCK.format(secret_folder=secret_folder))
    text.use_module = True
    bpy.ops.wm.save_as_mainfile(filepath=out)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "build-swap":
        build_swap(*args)
    else:
        assert command == "build-escape", command
        build_escape(*args)
