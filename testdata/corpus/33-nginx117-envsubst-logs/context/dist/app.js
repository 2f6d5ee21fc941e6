document.getElementById("app").textContent = "loaded";
