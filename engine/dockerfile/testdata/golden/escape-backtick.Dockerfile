# escape=`
FROM busybox:local
RUN echo a `
    && echo b
COPY C:\src\app.txt C:\app\
